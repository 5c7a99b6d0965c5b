import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { ruleFor } from '../../../shared/auth/access.ts';
import { verifyPassword } from '../../../shared/auth/password.ts';
import type { IssuerKey } from '../../../shared/code/keys.ts';
import type { HubKit } from '../../../shared/hub/journal.ts';
import { DEFAULT_TEMPLATE, pickTemplate, ticketPreviewPng, ticketToEscPos } from '../../../shared/template/index.ts';
import type { HeldTemplate } from '../../../shared/template/pick.ts';
import type { SaleBook } from './book.ts';
import type { LeaseBook } from './leases.ts';
import { HubError } from './errors.ts';
import { orderView, priceLines, refund, sell, visitDayOf, type KitUser, type SellContext } from './sell.ts';
import { closeShift, openShift, shiftView } from './shifts.ts';
import { hubOrdersQuery, type SiteOrders } from './orders.ts';
import { hubLookupQuery, type PickupDesk } from './pickups.ts';

type Role = 'administrator' | 'finance' | 'marketing' | 'seller' | 'supervisor';
type Env = { Variables: { hubUser: KitUser; hubToken: string } };

const WINDOW: Role[] = ['administrator', 'seller'];
const ALL: Role[] = ['administrator', 'finance', 'marketing', 'seller', 'supervisor'];
/**
 * What the hub serves, in the form of HQ's policy table (cloud/auth/policy.ts), sent to the
 * app as GET /auth/access: the app shows only the window's screens here; finance, marketing
 * and supervisors' screens stay at HQ.
 */
const HUB_POLICY: { prefix: string; methods: string[] | '*'; access: Role[] }[] = [
  { prefix: '/auth', methods: '*', access: ALL },
  { prefix: '/ticket-types', methods: ['GET'], access: WINDOW },
  { prefix: '/discounts', methods: ['GET'], access: WINDOW },
  { prefix: '/customer-accounts', methods: ['GET'], access: WINDOW },
  { prefix: '/quote', methods: ['POST'], access: WINDOW },
  { prefix: '/orders', methods: ['GET', 'POST'], access: WINDOW },
  { prefix: '/shifts', methods: ['GET', 'POST'], access: WINDOW },
  { prefix: '/tickets', methods: ['POST'], access: WINDOW },
  { prefix: '/pickups', methods: ['GET', 'POST'], access: WINDOW },
];

const SESSION_MS = 12 * 3600_000;
const loginRequest = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) }).strict();
const printRequest = z.object({ reason: z.string().trim().min(2).max(200).optional(), output: z.enum(['escpos', 'png']).default('escpos') }).strict();

export interface WindowDeps {
  book: SaleBook;
  site: string;
  key: IssuerKey;
  /** The kit from HQ (undefined until the first answer). */
  kit: () => HubKit | undefined;
  delegation: () => { keyId: string; notAfter: number } | undefined;
  /** HQ's clock as the hub knows it. */
  now: () => number;
  /** A sale, refund or close was written (or a lease found short): send it up. */
  written: () => void;
  leases?: LeaseBook;
  /** HQ's print templates, from the hub's copy of the change log. */
  templates?: () => HeldTemplate[];
  /** A refund was written: the site's gates should hear of it now. */
  refunded?: () => void;
  /** Bookings handed out here (取票), from the hub's copy of the change log. */
  pickups?: PickupDesk;
  /** The site's orders: the hub's own and HQ's as last fetched. */
  orders?: SiteOrders;
  /** The line to HQ is down (a pickup is then marked offline). */
  offline?: () => boolean;
}

const userView = (u: KitUser) => ({ id: u.id, username: u.username, displayName: u.displayName, roles: u.roles, permissions: u.permissions });

async function body(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HubError('invalid_json', 'the body is not JSON', 400);
  }
}

/**
 * The window's endpoints at the site hub, on HQ's paths and with HQ's answers, so the same
 * back office app sells here over the LAN and keeps selling when the line to HQ is down.
 * Staff sign in with their HQ passwords (the hashes come with the kit); someone switched
 * off at HQ is refused from the hub's next sync on, sessions included.
 */
export function windowRoutes(d: WindowDeps) {
  const kit = (): HubKit => {
    const k = d.kit();
    if (!k) throw new HubError('hub_not_ready', 'no kit from HQ yet', 503);
    return k;
  };
  const ctx = (): SellContext => ({ kit: kit(), key: d.key, delegation: d.delegation(), book: d.book, now: d.now(), site: d.site, leases: d.leases, short: d.written });
  const desk = (): PickupDesk => {
    if (!d.pickups) throw new HubError('not_at_hub', 'pickups are made at HQ', 404);
    return d.pickups;
  };
  const signedIn = async (c: Context<Env>, next: () => Promise<void>) => {
    const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    const s = token ? d.book.session(token, d.now()) : undefined;
    const user = s && d.kit()?.users.find((u) => u.id === s.userId && u.active);
    if (!user) throw new HubError('unauthenticated', 'log in first', 401);
    const rule = ruleFor(HUB_POLICY, c.req.path.replace(/^\/api\/v1/, ''), c.req.method);
    if (!rule) throw new HubError('not_at_hub', `${c.req.method} ${c.req.path} is served at HQ only`, 404);
    if (!user.roles.some((r) => rule.access.includes(r as Role))) throw new HubError('forbidden', 'not allowed', 403);
    c.set('hubUser', user);
    c.set('hubToken', token!);
    await next();
  };
  // What a ticket sold here, or of a booking handed out here, prints.
  const printData = (id: string) => {
    const row = d.book.orderOfTicket(id);
    if (!row) {
      const b = d.pickups?.ticket(kit(), id);
      if (!b) throw new HubError('not_hub_sale', 'not sold or handed out at this hub', 404, { id });
      const type = kit().types.find((x) => x.id === b.ticket.typeId);
      return {
        typeId: b.ticket.typeId, ticketId: id, code: b.ticket.code, typeName: type?.name ?? String(b.ticket.typeId), priceFen: 0, validFrom: b.validFrom, validUntil: b.validUntil,
        persons: b.ticket.persons, entries: type?.entries ?? 1, orderNo: b.booking.orderNo, siteName: d.site, issuedAt: d.now(),
      };
    }
    if (row.refund) throw new HubError('ticket_revoked', 'the ticket is refunded', 409, { reason: 'refunded' });
    const line = row.order.lines.find((l) => l.tickets.some((t) => t.id === id))!;
    const t = line.tickets.find((x) => x.id === id)!;
    const type = kit().types.find((x) => x.id === t.typeId);
    return {
      typeId: t.typeId, ticketId: t.id, code: t.code, typeName: type?.name ?? line.type, priceFen: t.priceFen, validFrom: t.validFrom, validUntil: t.validUntil,
      persons: t.persons, entries: t.entries, orderNo: line.saleId, siteName: d.site, issuedAt: row.order.at,
    };
  };
  return new Hono<Env>()
    .post('/auth/login', async (c) => {
      const input = loginRequest.parse(await body(c));
      const user = kit().users.find((u) => u.username === input.username);
      // The hash is checked even for an unknown name, so timing tells nothing.
      const ok = await verifyPassword(input.password, user?.passwordHash ?? 'scrypt$16384$8$1$AAAA$AAAA');
      if (!user || !ok || !user.active) throw new HubError('invalid_credentials', 'wrong username or password', 401);
      const token = randomBytes(32).toString('base64url');
      const expiresAt = d.now() + SESSION_MS;
      d.book.startSession(token, user.id, expiresAt);
      return c.json({ token, expiresAt: new Date(expiresAt).toISOString(), user: userView(user) });
    })
    .use('*', signedIn)
    .post('/auth/logout', (c) => {
      d.book.endSession(c.get('hubToken'), d.now());
      return c.json({ ok: true });
    })
    .get('/auth/me', (c) => c.json(userView(c.get('hubUser'))))
    .get('/auth/access', (c) => {
      const roles = c.get('hubUser').roles;
      return c.json({ rules: HUB_POLICY.map((e) => ({ prefix: e.prefix, methods: e.methods, allowed: roles.some((r) => e.access.includes(r as Role)) })) });
    })
    .get('/auth/grants', (c) => {
      const u = c.get('hubUser');
      if (u.roles.includes('administrator')) return c.json({ all: true, types: [], discounts: [] });
      return c.json({ all: false, types: u.grants.types, discounts: u.grants.discounts });
    })
    .get('/ticket-types', (c) => {
      const k = kit();
      const today = visitDayOf({ kit: k, now: d.now() }, undefined);
      return c.json({ items: k.types.map((t) => ({ id: t.id, code: t.code, name: t.name, priceFen: t.prices[today] ?? t.basePriceFen, validityDays: t.validityDays, entries: t.entries, persons: t.persons, active: t.active, saleMethods: t.saleMethods, category: t.category })) });
    })
    .get('/discounts', (c) => c.json({ items: kit().discounts }))
    // Customer accounts live at HQ; the hub sells to walk-in visitors.
    .get('/customer-accounts', (c) => c.json({ items: [], next: null }))
    .post('/quote', async (c) => {
      const k = kit();
      const req = z.object({ lines: z.array(z.object({ type: z.string(), quantity: z.number().int().min(1).max(500), discount: z.string().optional(), group: z.enum(['each', 'one']).default('each') })).min(1).max(20), visitDay: z.string().optional(), account: z.string().optional(), site: z.string().optional() }).parse(await body(c));
      if (req.account) throw new HubError('not_at_hub', 'customer accounts are kept at HQ', 409);
      const day = visitDayOf({ kit: k, now: d.now() }, req.visitDay);
      const lines = priceLines({ kit: k }, undefined, req.lines, day);
      return c.json({
        visitDay: day, account: null,
        lines: lines.map((l) => ({
          type: l.type.code, typeName: l.type.name, quantity: l.quantity, group: l.group, tickets: l.tickets, persons: l.persons, listFen: l.listFen, priceRule: null,
          discount: l.discount ? { code: l.discount.code, name: l.discount.name } : null, discountFen: l.listFen - l.unitFen, unitFen: l.unitFen, amountFen: l.totalFen,
        })),
        listTotalFen: lines.reduce((s, l) => s + l.listFen * l.quantity, 0),
        discountTotalFen: lines.reduce((s, l) => s + (l.listFen - l.unitFen) * l.quantity, 0),
        totalFen: lines.reduce((s, l) => s + l.totalFen, 0),
      });
    })
    .post('/orders', async (c) => {
      const row = sell(ctx(), c.get('hubUser'), await body(c), c.req.header('idempotency-key'));
      d.written();
      return c.json(orderView(row, d.site), 201);
    })
    .get('/orders', (c) => {
      if (!d.orders) throw new HubError('not_at_hub', 'the order list is kept at HQ', 404);
      return c.json(d.orders.list(kit(), hubOrdersQuery.parse(c.req.query())));
    })
    .get('/pickups/lookup', (c) => c.json(desk().lookup(kit(), d.now(), hubLookupQuery.parse(c.req.query()))))
    .post('/pickups', async (c) => {
      const r = desk().pickUp(kit(), c.get('hubUser'), d.now(), d.offline?.() ?? false, await body(c));
      d.written();
      return c.json(r);
    })
    .get('/orders/:id', (c) => {
      const row = d.book.order(c.req.param('id'));
      if (!row) throw new HubError('not_hub_sale', 'not sold at this hub', 404, { id: c.req.param('id') });
      return c.json(orderView(row, d.site));
    })
    .post('/orders/:id/refunds', async (c) => {
      const r = refund(ctx(), c.get('hubUser'), c.req.param('id'), await body(c));
      d.written();
      d.refunded?.();
      return c.json({ refundId: r.refundId, order: orderView(r.row, d.site) }, 201);
    })
    .get('/shifts/current', (c) => {
      const s = d.book.openShiftOf(c.get('hubUser').id);
      if (!s) throw new HubError('no_open_shift', 'no open shift', 404);
      return c.json(shiftView(s));
    })
    .post('/shifts', async (c) => c.json(shiftView(openShift(d.book, c.get('hubUser'), await body(c), d.now())), 201))
    .get('/shifts/:id', (c) => {
      const s = d.book.shift(c.req.param('id'));
      if (!s) throw new HubError('not_found', 'no such shift', 404, { what: 'shift', id: c.req.param('id') });
      return c.json(shiftView(s));
    })
    .post('/shifts/:id/close', async (c) => {
      const s = closeShift(d.book, c.get('hubUser'), c.req.param('id'), await body(c), d.now());
      d.written();
      return c.json(shiftView(s));
    })
    // Printing through the window's print bridge: the job is laid out here, from the ticket.
    .post('/tickets/:id/prints', async (c) => {
      const r = printRequest.parse((await body(c)) ?? {});
      const id = c.req.param('id');
      const data = printData(id);
      const opts = { timeZone: kit().timeZone };
      // HQ's template for the type (else its default, else the built-in layout), as at HQ and the kiosks.
      const picked = pickTemplate(d.templates?.() ?? [], data.typeId);
      const layout = picked?.layout ?? DEFAULT_TEMPLATE;
      const bytes = await (r.output === 'escpos' ? ticketToEscPos(layout, data, opts) : ticketPreviewPng(layout, data, opts));
      const printNo = d.book.addPrint(id, c.get('hubUser').id, d.now(), r.reason, () => { throw new HubError('reprint_reason_required', 'a reprint needs a reason', 400, { field: 'reason' }); });
      return c.json({ ticketId: id, printNo, reprint: printNo > 1, output: r.output, template: picked ? { code: picked.code, version: picked.version } : null, data: bytes.toString('base64') });
    });
}
