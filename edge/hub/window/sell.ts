import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { encodeTicketCode } from '../../../shared/code/ticket-code.ts';
import type { IssuerKey } from '../../../shared/code/keys.ts';
import type { HubKit, HubOrder, HubPayment, HubRefund } from '../../../shared/hub/journal.ts';
import { addDays, businessDay, startOfBusinessDay, wallClock } from '../../../shared/time/zone.ts';
import type { OrderRow, SaleBook } from './book.ts';
import type { KitSlot, LeaseBook } from './leases.ts';
import { HubError } from './errors.ts';

export type KitUser = HubKit['users'][number];
export type KitType = HubKit['types'][number];

const code = z.string().regex(/^[a-z0-9_-]{1,32}$/);
const money = z.number().int().min(0).max(1e12);

/**
 * The window's order as HQ takes it (cloud/office/orders/orders.ts orderRequest): the same body, so
 * the same app sells at either. What needs HQ to answer (customer accounts, vouchers, mobile
 * payment codes, stock, cards, reservations) is refused here with a reason, not ignored.
 */
export const hubOrderRequest = z.object({
  site: z.string().optional(),
  visitDay: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  account: z.string().optional(),
  lines: z.array(z.object({
    type: code, quantity: z.number().int().min(1).max(500), discount: code.optional(), group: z.enum(['each', 'one']).default('each'),
    barcodes: z.array(z.string()).optional(), cards: z.array(z.string()).optional(), idcards: z.array(z.string()).optional(),
  }).strict()).min(1).max(20),
  payments: z.array(z.object({ method: z.string(), amountFen: money.refine((n) => n > 0, 'must be more than 0'), tenderedFen: money.optional(), reference: z.string().optional() }).passthrough()).max(10).default([]),
  reserve: z.boolean().default(false),
  note: z.string().max(200).optional(),
  /** Start of the time slot (分时预约) on days sold by slot; absent today: the slot under way with room in the hub's lease. */
  slot: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM').optional(),
}).strict();
export type HubOrderRequest = z.infer<typeof hubOrderRequest>;

export const hubRefundRequest = z.object({
  tickets: z.array(z.string()).min(1).max(500).optional(),
  amountFen: money.optional(),
  method: z.string(),
  reason: z.string().min(2).max(200),
}).strict();

export const MAX_DAYS_AHEAD = 6;

export interface SellContext {
  kit: HubKit;
  key: IssuerKey;
  /** HQ's delegation of the key: codes it signs are trusted up to notAfter (ms). */
  delegation: { keyId: string; notAfter: number } | undefined;
  book: SaleBook;
  /** HQ's clock as the hub knows it. */
  now: number;
  site: string;
  /** Capacity leases from HQ: on a day HQ limits, sold only within them. */
  leases?: LeaseBook;
  /** A sale found its lease short: ask HQ for more now, if the line is up. */
  short?: () => void;
}

const isAdmin = (u: KitUser) => u.roles.includes('administrator');

export interface PricedLine { type: KitType; quantity: number; group: 'each' | 'one'; listFen: number; unitFen: number; discount: HubKit['discounts'][number] | undefined; totalFen: number; tickets: number; personsPerTicket: number; persons: number }

/** Prices lines for a day as HQ's quote and order do (the kit holds the calendar's prices). */
export function priceLines(ctx: Pick<SellContext, 'kit'>, user: KitUser | undefined, lines: HubOrderRequest['lines'], day: string): PricedLine[] {
  return lines.map((l, i) => {
    const type = ctx.kit.types.find((t) => t.code === l.type);
    if (!type) throw new HubError('not_found', `no ticket type ${l.type}`, 404, { what: 'ticket type', id: l.type });
    if (!type.active) throw new HubError('type_inactive', `${type.name} is not on sale`, 409, { line: i });
    if (user && !isAdmin(user) && !user.grants.types.includes(type.code)) throw new HubError('type_not_granted', `you may not sell ${type.code}`, 403, { line: i, type: type.code });
    let d: HubKit['discounts'][number] | undefined;
    if (l.discount) {
      d = ctx.kit.discounts.find((x) => x.code === l.discount && x.active);
      if (!d) throw new HubError('not_found', `no discount ${l.discount}`, 404, { what: 'discount', id: l.discount });
      if (user && !isAdmin(user) && !user.grants.discounts.includes(d.code)) throw new HubError('discount_not_granted', `you may not give discount ${d.code}`, 403, { line: i, discount: d.code });
      if (d.customerCategory) throw new HubError('discount_not_applicable', `discount ${d.code} is for ${d.customerCategory} customers only`, 409, { line: i });
    }
    if (l.barcodes || l.cards || l.idcards) throw new HubError('not_at_hub', 'stock, cards and ID cards are bound at HQ', 409, { line: i });
    const list = type.prices[day];
    if (list === undefined) throw new HubError('visit_day_too_far', `the hub holds prices up to ${Object.keys(type.prices).sort().pop()}`, 400);
    const unit = !d ? list : d.kind === 'percent' ? list - Math.round((list * d.value) / 100) : Math.max(0, list - d.value);
    const tickets = l.group === 'one' ? 1 : l.quantity;
    const personsPerTicket = l.group === 'one' ? l.quantity * type.persons : type.persons;
    return { type, quantity: l.quantity, group: l.group, listFen: list, unitFen: unit, discount: d, totalFen: unit * l.quantity, tickets, personsPerTicket, persons: l.quantity * type.persons };
  });
}

export function visitDayOf(ctx: Pick<SellContext, 'kit' | 'now'>, asked: string | undefined): string {
  const today = businessDay(ctx.now, ctx.kit.timeZone);
  const day = asked ?? today;
  if (day < today) throw new HubError('visit_day_past', `visit day ${day} is past`, 400);
  if (day > addDays(today, MAX_DAYS_AHEAD)) throw new HubError('visit_day_too_far', `visit day ${day} is more than ${MAX_DAYS_AHEAD} days ahead`, 400);
  return day;
}

function payments(ps: HubOrderRequest['payments']): HubPayment[] {
  return ps.map((p) => {
    if (p.method === 'cash') {
      const tendered = p.tenderedFen ?? p.amountFen;
      if (tendered < p.amountFen) throw new HubError('invalid_request', 'tendered less than the amount', 400, { field: 'payments.tenderedFen' });
      return { id: uuidv7(), method: 'cash', amountFen: p.amountFen, tenderedFen: tendered, changeFen: tendered - p.amountFen };
    }
    if (p.method === 'card') {
      if (!p.reference || !/^[A-Za-z0-9-]{4,40}$/.test(p.reference)) throw new HubError('invalid_request', 'a card payment needs its slip reference', 400, { field: 'payments.reference' });
      return { id: uuidv7(), method: 'card', amountFen: p.amountFen, reference: p.reference };
    }
    throw new HubError('offline_method', `the hub takes cash and card, not ${p.method}`, 409, { method: p.method });
  });
}

/**
 * Sells at the hub by the window's rules (a port of cloud/office/orders/orders.ts createOrder for
 * what a hub may do alone): an open shift, the seller's grants, the day's price from the
 * kit, payments covering the total; tickets signed with the hub's delegated key, never valid
 * past the delegation. The order and its journal entry commit together.
 */
export function sell(ctx: SellContext, user: KitUser, input: unknown, idempotencyKey: string | undefined): OrderRow {
  const req = hubOrderRequest.parse(input);
  if (idempotencyKey) {
    const prior = ctx.book.orderByKey(idempotencyKey);
    if (prior) {
      if (prior.sellerId !== user.id) throw new HubError('idempotency_conflict', 'Idempotency-Key was already used for a different request', 409);
      return prior;
    }
  }
  if (req.site && req.site !== ctx.site) throw new HubError('unknown_site', `this hub sells for site ${ctx.site}`, 404, { site: req.site });
  if (req.reserve || req.account) throw new HubError('not_at_hub', 'reservations and customer accounts are kept at HQ', 409);
  const shift = ctx.book.openShiftOf(user.id);
  if (!shift) throw new HubError('no_open_shift', 'open a shift first', 409);
  if (!ctx.delegation || ctx.delegation.keyId !== ctx.key.keyId) throw new HubError('hub_no_key', 'no delegated signing key', 503);
  const day = visitDayOf(ctx, req.visitDay);
  const lines = priceLines(ctx, user, req.lines, day);
  const total = lines.reduce((s, l) => s + l.totalFen, 0);
  const paid = payments(req.payments);
  const paidFen = paid.reduce((s, p) => s + p.amountFen, 0);
  if (paidFen !== total) throw new HubError('payment_mismatch', `payments add up to ${paidFen}, the order is ${total}`, 400, { totalFen: total, paidFen });
  const tz = ctx.kit.timeZone;
  const validFrom = startOfBusinessDay(day, tz);
  const slot = slotOfSale(ctx, day, lines, req.slot);
  const order: HubOrder = {
    id: uuidv7(), seller: { id: user.id, username: user.username }, shiftId: shift.id, visitDay: day, at: ctx.now, totalFen: total, payments: paid,
    lines: lines.map((l) => {
      const validUntil = startOfBusinessDay(addDays(day, l.type.validityDays), tz);
      if (validUntil > ctx.delegation!.notAfter) throw new HubError('delegation_expired', `codes signed here must end by ${new Date(ctx.delegation!.notAfter).toISOString()}`, 503);
      const perTicketFen = l.group === 'one' ? l.totalFen : l.unitFen;
      return {
        saleId: uuidv7(), type: l.type.code, typeId: l.type.id, quantity: l.quantity, group: l.group, listFen: l.listFen, unitFen: l.unitFen,
        discount: l.discount?.code ?? null, totalFen: l.totalFen, persons: l.persons,
        tickets: Array.from({ length: l.tickets }, () => {
          const facts = { ticketId: uuidv7(), typeId: l.type.id, validFrom: validFrom / 1000, validUntil: validUntil / 1000, persons: l.personsPerTicket, entries: l.type.entries, ...(slot ? { slot: { from: slot.from, to: slot.to } } : {}) };
          return { id: facts.ticketId, code: encodeTicketCode(facts, ctx.key), keyId: ctx.key.keyId, typeId: l.type.id, persons: facts.persons, entries: facts.entries, priceFen: perTicketFen, validFrom, validUntil };
        }),
      };
    }),
    ...(slot ? { slot: { id: slot.id, from: slot.from, to: slot.to, leased: true as const } } : {}),
  };
  const seq = sellWithin(ctx, order, idempotencyKey, slot);
  return { id: order.id, seq, sellerId: user.id, shiftId: shift.id, order, refund: null };
}

const toMin = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

/**
 * The time slot of a sale, as HQ's window picks it (cloud/slots takeWindowSlot): a day with
 * slots for the venue of the first line's type is sold by slot. Named: that slot. Not named,
 * today: the slot under way (or the next) whose lease holds room for the sale; another day
 * needs one named. Places come from the hub's slot lease (taken in the sale's transaction).
 */
function slotOfSale(ctx: SellContext, day: string, lines: PricedLine[], asked: string | undefined): KitSlot | undefined {
  const venue = lines[0]!.type.slotVenue;
  const slots = (ctx.kit.slots ?? []).filter((s) => s.venue === venue && s.day === day).sort((a, b) => a.from.localeCompare(b.from));
  if (asked !== undefined) {
    const named = slots.find((s) => s.from === asked);
    if (!named) throw new HubError('slot_unknown', `no time slot at ${asked} on ${day}`, 422, { day, from: asked });
    return named;
  }
  if (slots.length === 0) return undefined;
  if (day !== businessDay(ctx.now, ctx.kit.timeZone)) throw new HubError('slot_required', `${day} is sold by time slot: choose one`, 422, { day });
  const w = wallClock(ctx.now, ctx.kit.timeZone);
  const open = slots.filter((s) => toMin(s.to) > w.hour * 60 + w.minute);
  if (open.length === 0) throw new HubError('slot_full', `today's slots are over`, 409, { day, from: slots[slots.length - 1]!.from, to: slots[slots.length - 1]!.to });
  const persons = lines.reduce((n, l) => n + l.persons, 0);
  const room = (s: KitSlot) => {
    const r = ctx.leases?.get(s.id, s.day, 'slot');
    return r ? r.granted - r.returned - r.sold : 0;
  };
  // None with room in the lease: the one under way, which asks HQ for more.
  return open.find((s) => room(s) >= persons) ?? open[0];
}

/** The order and its places of the lease commit together; a short lease is asked of HQ. */
function sellWithin(ctx: SellContext, order: HubOrder, idempotencyKey: string | undefined, slot?: KitSlot): number {
  const { leases } = ctx;
  try {
    return ctx.book.tx(() => {
      if (slot) {
        if (!leases) throw new HubError('lease_exhausted', 'no slot lease', 409, { type: `${slot.from}-${slot.to}`, day: slot.day, left: 0, asked: 0, ref: slot.id, kind: 'slot' });
        leases.takeSlot(slot, order.lines.reduce((n, l) => n + l.persons, 0));
      }
      const leased = leases?.take(ctx.kit, order.visitDay, order.lines.map((l) => ({ typeId: l.typeId, typeCode: l.type, persons: l.persons })));
      for (const l of order.lines) if (leased?.has(l.typeId)) l.leased = true;
      return ctx.book.addOrder(order, idempotencyKey);
    });
  } catch (err) {
    if (leases && err instanceof HubError && err.code === 'lease_exhausted') {
      leases.demand(err.context.ref as number, order.visitDay, err.context.asked as number, err.context.kind === 'slot' ? 'slot' : 'day');
      ctx.short?.();
    }
    throw err;
  }
}

/**
 * A refund at the hub: whole, of an order sold at this hub, by one who may refund, paid back
 * by a method the order was paid with. Its tickets are revoked at HQ when the entry arrives
 * (and reach the gates from there); see edge/hub/README.md for the rule while offline.
 */
export function refund(ctx: SellContext, user: KitUser, orderId: string, input: unknown): { refundId: string; row: OrderRow } {
  const r = hubRefundRequest.parse(input);
  if (!user.permissions.includes('refund') && !isAdmin(user)) throw new HubError('refund_not_allowed', 'you may not refund', 403);
  const row = ctx.book.order(orderId);
  if (!row) throw new HubError('not_hub_sale', `order ${orderId} was not sold at this hub`, 404, { id: orderId });
  if (row.refund) throw new HubError('order_refunded', 'the order was refunded already', 409);
  const all = row.order.lines.flatMap((l) => l.tickets.map((t) => t.id));
  if (r.tickets && (r.tickets.length !== all.length || !all.every((id) => r.tickets!.includes(id)))) throw new HubError('not_at_hub', 'a part refund is made at HQ', 409);
  const amount = r.amountFen ?? row.order.totalFen;
  if (amount !== row.order.totalFen) throw new HubError('not_at_hub', 'a part refund is made at HQ', 409);
  const byMethod = row.order.payments.filter((p) => p.method === r.method).reduce((s, p) => s + p.amountFen, 0);
  if (r.method !== 'cash' && r.method !== 'card') throw new HubError('offline_method', `the hub pays back cash and card, not ${r.method}`, 409, { method: r.method });
  if (amount > byMethod) throw new HubError('refund_exceeds_method', `only ${byMethod} was paid by ${r.method}`, 409, { method: r.method, paidFen: byMethod });
  const shift = ctx.book.openShiftOf(user.id);
  if (!shift) throw new HubError('no_open_shift', 'open a shift first', 409);
  const refundRow: HubRefund = {
    id: uuidv7(), orderId, seller: { id: user.id, username: user.username }, shiftId: shift.id, at: ctx.now, reason: r.reason, amountFen: amount, tickets: all,
    payments: [r.method === 'cash'
      ? { id: uuidv7(), method: 'cash', amountFen: -amount, tenderedFen: null, changeFen: null }
      : { id: uuidv7(), method: 'card', amountFen: -amount, reference: (row.order.payments.find((p) => p.method === 'card') as { reference: string }).reference }],
  };
  ctx.book.addRefund(refundRow);
  return { refundId: refundRow.id, row: ctx.book.order(orderId)! };
}

/** The order as HQ's GET /orders/{id} shows it. */
export function orderView(row: OrderRow, site: string) {
  const o = row.order;
  const refunded = row.refund?.amountFen ?? 0;
  const revoked = new Set(row.refund?.tickets ?? []);
  const payments = [...o.payments, ...(row.refund?.payments ?? [])];
  return {
    id: o.id, site, status: 'issued', visitDay: o.visitDay, sellerId: o.seller.id, shiftId: o.shiftId, accountId: null,
    totalFen: o.totalFen, paidFen: o.totalFen, refundedFen: refunded, netFen: o.totalFen - refunded, createdAt: new Date(o.at).toISOString(),
    lines: o.lines.map((l) => ({
      saleId: l.saleId, type: l.type, quantity: l.quantity, group: l.group, listPriceFen: l.listFen, unitPriceFen: l.unitFen, discount: l.discount, totalFen: l.totalFen,
      tickets: l.tickets.map((t) => ({
        id: t.id, code: t.code, persons: t.persons, entries: t.entries, priceFen: t.priceFen,
        validFrom: new Date(t.validFrom).toISOString(), validUntil: new Date(t.validUntil).toISOString(), revoked: revoked.has(t.id) ? 'refunded' : null,
      })),
    })),
    payments: payments.map((p) => ({
      id: p.id, method: p.method, amountFen: p.amountFen, tenderedFen: p.method === 'cash' ? p.tenderedFen : null, changeFen: p.method === 'cash' ? p.changeFen : null,
      reference: p.method === 'card' ? p.reference : null, refundId: p.amountFen < 0 ? row.refund!.id : null, createdAt: new Date(p.amountFen < 0 ? row.refund!.at : o.at).toISOString(),
    })),
    intents: [],
  };
}
