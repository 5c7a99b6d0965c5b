import { and, asc, eq, inArray, TransactionRollbackError } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { addDays, businessDay, startOfBusinessDay, wallClock } from '../../../shared/time/zone.ts';
import { hasRole, type AuthUser } from '../../auth/roles.ts';
import type { CloudContext } from '../../context.ts';
import { requireSite } from '../../sites/service.ts';
import {
  discounts, orders, paymentIntents, payments, sales, sellerDiscounts, sellerTypes, shifts, stockItems, stockMoves,
  tickets, ticketTypes, users,
} from '../../db/schema/index.ts';
import { AppError, notFound } from '../../http/errors.ts';
import type { IdempotencyClaim } from '../../http/idempotency.ts';
import { ledger, type Actor, type Line, type Payment } from '../../ledger/index.ts';
import { accountRow, money, uuid } from '../../ledger/accounts.ts';
import { ACCOUNT_LEDGER } from '../../ledger/payments.ts';
import { holdLedgerRows } from '../../db/at-end.ts';
import { appendAudit, auditSavepoint, type Tx, auditedTx } from '../audit.ts';
import type { MobileProvider } from '../payments/mobile.ts';
import { capacityPlace, contractDiscount, discounted, priceOn, releaseCapacity, soldOut } from '../pricing/pricing.ts';
import { takePlaces } from '../../capacity/places.ts';
import { bindHeldSlot, bindTicketSlots, heldSlot, holdSlot, releaseHeldSlots, slotOf, slotVenue, takeWindowSlot } from '../../slots/service.ts';
import { calendarDay } from '../../../shared/time/day.ts';
import { refuseWhenFull } from '../../capacity/alarms.ts';
import { auditedSaleTx, writeHeldChanges } from '../../sync/changes.ts';

const dayText = calendarDay;
const code = z.string().regex(/^[a-z0-9_-]{1,32}$/);
const positive = money.refine((n) => n > 0, 'must be more than 0');

export const paymentSpec = z.discriminatedUnion('method', [
  z.object({ method: z.literal('cash'), amountFen: positive, tenderedFen: money }).strict()
    .refine((p) => p.tenderedFen >= p.amountFen, { message: 'tendered less than the amount', path: ['tenderedFen'] }),
  z.object({ method: z.literal('card'), amountFen: positive, reference: z.string().regex(/^[A-Za-z0-9-]{4,40}$/) }).strict(),
  z.object({ method: z.literal('mobile'), amountFen: positive, authCode: z.string().regex(/^\d{16,24}$/, 'a payment code is 16 to 24 digits') }).strict(),
  z.object({ method: z.literal('voucher'), amountFen: positive, code: z.string().regex(/^[A-Za-z0-9-]{4,40}$/) }).strict(),
  z.object({ method: z.literal('points'), amountFen: positive }).strict(),
  z.object({ method: z.literal('deposit'), amountFen: positive }).strict(),
  z.object({ method: z.literal('on_account'), amountFen: positive }).strict(),
  z.object({ method: z.literal('signed_bill'), amountFen: positive, signer: z.string().min(1).max(64) }).strict(),
]);
export type PaymentSpec = z.infer<typeof paymentSpec>;

const serial = z.string().regex(/^[0-9A-Za-z-]{4,40}$/);
export const orderLine = z.object({
  type: code,
  quantity: z.number().int().min(1).max(500),
  discount: code.optional(),
  /** each: one ticket per person (default); one: one ticket for the whole group. */
  group: z.enum(['each', 'one']).default('each'),
  /** Issue on pre-printed stock (barcode activation), cards (UIDs) or ID cards, one per ticket. */
  barcodes: z.array(serial).min(1).max(500).optional(),
  cards: z.array(z.string().min(4).max(40)).min(1).max(500).optional(),
  idcards: z.array(z.string().min(4).max(40)).min(1).max(500).optional(),
}).strict();
export const orderRequest = z.object({
  site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  visitDay: dayText.optional(),
  account: uuid.optional(),
  lines: z.array(orderLine).min(1).max(20),
  payments: z.array(paymentSpec).max(10).default([]),
  /** Group pre-sale: hold the places now, take payment and issue when the group arrives. */
  reserve: z.boolean().default(false),
  note: z.string().max(200).optional(),
  /** Start of the time slot (分时预约) on days sold by slot; absent today: the slot under way (walk-in). */
  slot: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM').optional(),
}).strict();
export type OrderRequest = z.infer<typeof orderRequest>;
export const issueRequest = z.object({ payments: z.array(paymentSpec).max(10).default([]) }).strict();

type TypeRow = typeof ticketTypes.$inferSelect;
interface PricedLine { req: z.infer<typeof orderLine>; type: TypeRow; listFen: number; unitFen: number; discountCode: string | null; totalFen: number; tickets: number; personsPerTicket: number; persons: number }

const MAX_DAYS_AHEAD = 180;

/** What a window may sell: its grants (types, discounts), within an open shift. */
async function priceLines(tx: Tx, ctx: CloudContext, user: AuthUser, req: OrderRequest, day: string, accountCategory: string | undefined): Promise<PricedLine[]> {
  const admin = hasRole(user, 'administrator');
  const out: PricedLine[] = [];
  const contract = await contractDiscount(tx, req.account, day);
  for (const [i, l] of req.lines.entries()) {
    const [type] = await tx.select().from(ticketTypes).where(eq(ticketTypes.code, l.type));
    if (!type) throw notFound('ticket type', l.type);
    if (!type.active) throw new AppError('type_inactive', `${type.name} is not on sale`, 409, { line: i });
    if (!admin) {
      const [g] = await tx.select().from(sellerTypes).where(and(eq(sellerTypes.userId, user.id), eq(sellerTypes.typeId, type.id)));
      if (!g) throw new AppError('type_not_granted', `无权销售 ${type.name} / you may not sell ${type.code}`, 403, { line: i, type: type.code });
    }
    let d: typeof discounts.$inferSelect | undefined = l.discount ? undefined : contract;
    if (l.discount) {
      [d] = await tx.select().from(discounts).where(eq(discounts.code, l.discount));
      if (!d || !d.active) throw notFound('discount', l.discount);
      if (!admin && d.id !== contract?.id) {
        const [g] = await tx.select().from(sellerDiscounts).where(and(eq(sellerDiscounts.userId, user.id), eq(sellerDiscounts.discountId, d.id)));
        if (!g) throw new AppError('discount_not_granted', `无权使用折扣 ${d.name} / you may not give discount ${d.code}`, 403, { line: i, discount: d.code });
      }
      if (d.customerCategory && d.customerCategory !== accountCategory) {
        throw new AppError('discount_not_applicable', `discount ${d.code} is for ${d.customerCategory} customers only`, 409, { line: i });
      }
    }
    const media = l.barcodes ? 'barcode_activation' : l.cards ? 'card_issue' : l.idcards ? 'id_binding' : 'print';
    if ([l.barcodes, l.cards, l.idcards].filter(Boolean).length > 1) throw new AppError('invalid_request', `line ${i}: one of barcodes, cards, idcards`);
    if (!type.saleMethods.includes(media)) throw new AppError('sale_method_not_allowed', `${type.code} is not issued by ${media} (allowed: ${type.saleMethods.join(', ')})`, 409, { line: i });
    const list = (await priceOn(tx, type, day)).priceFen;
    const unit = discounted(list, d);
    const tickets = l.group === 'one' ? 1 : l.quantity;
    const personsPerTicket = l.group === 'one' ? l.quantity * type.persons : type.persons;
    const given = l.barcodes ?? l.cards ?? l.idcards;
    if (given && given.length !== tickets) throw new AppError('invalid_request', `line ${i}: ${given.length} media for ${tickets} ticket(s)`);
    out.push({ req: l, type, listFen: list, unitFen: unit, discountCode: d?.code ?? null, totalFen: unit * l.quantity, tickets, personsPerTicket, persons: l.quantity * type.persons });
  }
  return out;
}

/** Why a window order costs nothing: its discounts, or types sold free. */
function whyFree(lines: PricedLine[]): string {
  return [...new Set(lines.map((l) => (l.discountCode ? `折扣 ${l.discountCode}` : `免费票种 ${l.type.code}`)))].join('，');
}

/** The window's payments as the ledger takes them: mobile ones are intents until confirmed. */
function settled(ps: PaymentSpec[]): Payment[] {
  return ps.filter((p) => p.method !== 'mobile').map((p) => p as Payment);
}

/** The lines of a priced order as the ledger issues them, valid from the visit day. */
function ledgerLines(ctx: CloudContext, day: string, lines: PricedLine[], slot?: { from: string; to: string }): Line[] {
  const tz = ctx.config.timeZone;
  return lines.map((l) => ({
    type: l.type, quantity: l.req.quantity, unitFen: l.unitFen, listFen: l.listFen, discountCode: l.discountCode, group: l.req.group, slot,
    validFrom: startOfBusinessDay(day, tz), validUntil: startOfBusinessDay(addDays(day, l.type.validityDays), tz),
    barcodes: l.req.barcodes, cards: l.req.cards, idcards: l.req.idcards,
  }));
}

/** A window seller sells in their shift; the administrator without one, in the office's cash book. */
async function resolveSeller(tx: Tx, user: AuthUser): Promise<Actor> {
  if (!hasRole(user, 'administrator', 'seller')) throw new AppError('forbidden', 'only a window seller or the administrator sells', 403);
  return ledger.staffActor(tx, user);
}

/**
 * A window order: several lines, paid by several methods, in one transaction. With a mobile
 * payment the order waits (`pending`, places held) until the provider confirms; a reservation
 * holds places with no payment until the group arrives (issueReservation).
 */
export async function createOrder(ctx: CloudContext, user: AuthUser, input: unknown, mobile: MobileProvider, idem?: IdempotencyClaim) {
  const req = orderRequest.parse(input);
  const site = req.site ?? ctx.config.site;
  await requireSite(ctx.db, site, { active: true });
  const now = ctx.now();
  const today = businessDay(now, ctx.config.timeZone);
  const day = req.visitDay ?? today;
  if (day < today) throw new AppError('visit_day_past', `visit day ${day} is past`, 400);
  if (day > addDays(today, MAX_DAYS_AHEAD)) throw new AppError('visit_day_too_far', `visit day ${day} is more than ${MAX_DAYS_AHEAD} days ahead`, 400);
  if (req.reserve && req.payments.length) throw new AppError('invalid_request', 'a reservation is paid when it is issued');
  if (req.reserve && req.lines.some((l) => l.barcodes || l.cards || l.idcards)) throw new AppError('invalid_request', 'a reservation is issued as printed codes');
  const orderId = uuidv7();
  const mobiles = req.payments.filter((p) => p.method === 'mobile');
  let made: ReturnType<typeof orderViewOf> | undefined;
  await auditedSaleTx(ctx.db, async (tx) => {
    const actor = await resolveSeller(tx, user);
    // The account row is locked first: its ledger is checked and moved in this transaction,
    // and taking the lock late (after the order's foreign key shares it) deadlocks two orders.
    const account = req.account ? await accountRow(tx, req.account, true) : undefined;
    if (account && !account.active) throw new AppError('account_inactive', `account ${account.name} is closed`, 409);
    const lines = await priceLines(tx, ctx, user, req, day, account?.category);
    const total = lines.reduce((s, l) => s + l.totalFen, 0);
    if (!req.reserve) ledger.checkPaid(total, req.payments);
    const status = req.reserve ? 'reserved' : mobiles.length ? 'pending' : 'issued';
    // An order issued whole, paid in money that moves nothing else (no voucher, no customer
    // account), printed (no stock, card or ID card bound, which refer to its tickets in their
    // own statements): nothing below reads its ledger rows back, and they go with its held
    // writes (cloud/db/at-end.ts holdLedgerRows: four round trips less per window sale).
    if (status === 'issued' && req.payments.every((p) => !ACCOUNT_LEDGER[p.method] && p.method !== 'voucher') && req.lines.every((l) => !l.barcodes && !l.cards && !l.idcards)) {
      holdLedgerRows(tx);
    }
    await ledger.openOrder(tx, actor, {
      id: orderId, site, visitDay: day, channel: 'window', accountId: account?.id ?? null, status, totalFen: total, note: req.note ?? null,
      freeReason: total === 0 ? whyFree(lines) : null, request: req, at: now,
    });
    await refuseWhenFull(tx, ctx, site, slotVenue(lines[0]!.type.rules), day);
    // A day sold by time slot: the window sells from the slot's walk-in share first
    // (cloud/slots); a reservation or a pending mobile payment holds it until issued.
    const local = wallClock(now, ctx.config.timeZone);
    const persons = lines.reduce((n, l) => n + l.persons, 0);
    const slot = await takeWindowSlot(tx, { site, venue: slotVenue(lines[0]!.type.rules), day, from: req.slot, persons, today, minute: local.hour * 60 + local.minute });
    if (status !== 'issued') await holdSlot(tx, orderId, slot, persons);
    const o = { orderId, accountId: account?.id ?? null, at: now };
    if (status === 'pending') {
      // Everything but the mobile charge is checked now, in a savepoint rolled back, and
      // recorded for real when the provider confirms.
      await tx.transaction(async (sp) => {
        auditSavepoint(sp);
        await ledger.pay(sp, actor, o, settled(req.payments));
        sp.rollback();
      }).catch((e) => {
        if (!(e instanceof TransactionRollbackError)) throw e;
      });
      for (const p of mobiles) {
        await tx.insert(paymentIntents).values({ id: uuidv7(), orderId, shiftId: actor.till.shiftId, userId: user.id, provider: mobile.name, providerRef: `auth:${p.authCode}`, amountFen: p.amountFen, status: 'created' });
      }
    }
    if (status === 'issued') {
      const paid = await ledger.pay(tx, actor, o, settled(req.payments));
      const sold = await ledger.issueLines(tx, ctx, actor, { orderId, site, at: now }, ledgerLines(ctx, day, lines, slotOf(slot)));
      if (slot) await bindTicketSlots(tx, site, slot, sold.flatMap((l) => l.tickets.map((t) => ({ id: t.id, persons: t.persons }))));
      // A sale issued whole is answered from what it wrote, as getOrder would read it back
      // (five round trips less per window sale at peak; test/office-orders-view.test.ts).
      const byId = <T extends { id: string }>(a: T[]) => a.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
      made = orderViewOf(
        { id: orderId, site, status, visitDay: day, sellerId: actor.user?.id ?? null, shiftId: actor.till.shiftId, accountId: account?.id ?? null, totalFen: total, createdAt: new Date(now) },
        sold.map((l) => ({ sale: { ...l.sale, id: l.saleId, groupMode: l.sale.groupMode ?? 'each', listPriceFen: l.sale.listPriceFen ?? l.sale.unitPriceFen, discountCode: l.sale.discountCode ?? null }, type: l.line.type.code }))
          .sort((x, y) => (x.sale.id < y.sale.id ? -1 : 1)),
        byId(sold.flatMap((l) => l.tickets.map((t) => ({ ...t, saleId: l.saleId, validFrom: new Date(t.validFrom), validUntil: new Date(t.validUntil), revokedReason: null })))),
        [...paid].sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime() || (x.id < y.id ? -1 : 1)), []);
    }
    // A sale issued whole stores its answer with the key (cloud/http/idempotency.ts), and its
    // change-log rows are written, before the places: nothing but the places' updates and the
    // commit then runs under the rows every sale of the day queues on.
    await idem?.claim(tx, { orderId }, made && { status: 201, body: made });
    await writeHeldChanges(tx);
    // Places per type and day last (after the slot, as every sale takes them), in one fixed
    // order so two orders never wait on each other: the day's row is held from here to the
    // commit only.
    const perType = new Map<number, { type: TypeRow; persons: number }>();
    for (const l of lines) perType.set(l.type.id, { type: l.type, persons: (perType.get(l.type.id)?.persons ?? 0) + l.persons });
    // One statement for all of them (cloud/capacity/places.ts).
    const caps = [...perType].sort((a, b) => a[0] - b[0]).map(([, v]) => capacityPlace(v.type, day, v.persons));
    const refused = caps[(await takePlaces(tx, caps, { last: true })).failed];
    if (refused?.kind === 'capacity') throw await soldOut(tx, perType.get(refused.typeId)!.type, day, refused.persons);
  });
  if (mobiles.length) await chargeIntents(ctx, orderId, mobile, req.payments);
  else ctx.notify(site);
  return made ?? getOrder(ctx, orderId);
}

async function chargeIntents(ctx: CloudContext, orderId: string, mobile: MobileProvider, ps: PaymentSpec[]) {
  const intents = await ctx.db.select().from(paymentIntents).where(eq(paymentIntents.orderId, orderId)).orderBy(asc(paymentIntents.id));
  for (const it of intents) {
    if (it.status !== 'created') continue;
    const authCode = it.providerRef.replace(/^auth:/, '');
    const r = await mobile.charge({ intentId: it.id, amountFen: it.amountFen, authCode });
    await ctx.db.update(paymentIntents).set({ providerRef: r.providerRef, status: r.status, updatedAt: new Date(ctx.now()) }).where(eq(paymentIntents.id, it.id));
  }
  await settlePending(ctx, orderId, ps);
}

/** Asks the provider about a pending mobile payment; a confirmed one completes its order. */
export async function queryIntent(ctx: CloudContext, user: AuthUser, intentId: string, mobile: MobileProvider) {
  if (!uuid.safeParse(intentId).success) throw notFound('payment', intentId);
  const [it] = await ctx.db.select().from(paymentIntents).where(eq(paymentIntents.id, intentId));
  if (!it) throw notFound('payment', intentId);
  if (it.status === 'pending') {
    const status = await mobile.query(it.providerRef);
    if (status !== 'pending') await ctx.db.update(paymentIntents).set({ status, updatedAt: new Date(ctx.now()) }).where(and(eq(paymentIntents.id, it.id), eq(paymentIntents.status, 'pending')));
  }
  const [order] = await ctx.db.select().from(orders).where(eq(orders.id, it.orderId));
  if (order!.status === 'pending') await settlePending(ctx, it.orderId, orderRequest.parse(order!.request).payments);
  return getOrder(ctx, it.orderId);
}

/** A pending order whose mobile payments are all paid is completed; one with a failed one is cancelled. */
async function settlePending(ctx: CloudContext, orderId: string, ps: PaymentSpec[]) {
  await auditedTx(ctx.db, async (tx) => {
    const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
    if (!order || order.status !== 'pending') return;
    const intents = await tx.select().from(paymentIntents).where(eq(paymentIntents.orderId, orderId));
    const at = ctx.now();
    const [seller] = await tx.select().from(users).where(eq(users.id, order.sellerId!));
    const user: AuthUser = { id: seller!.id, username: seller!.username, displayName: seller!.displayName, roles: seller!.roles as AuthUser['roles'], permissions: [] };
    if (intents.some((i) => i.status === 'failed' || i.status === 'created')) {
      if (intents.some((i) => i.status === 'created')) return; // the charge call has not been answered yet
      await cancelHeld(tx, order, user, at, 'mobile payment declined');
      return;
    }
    if (intents.some((i) => i.status !== 'paid')) return;
    const req = orderRequest.parse(order.request);
    // The money goes to the book the order was taken in (the seller's shift then, or the office).
    const actor: Actor = { user, name: user.username, till: order.shiftId ? { book: 'shift', shiftId: order.shiftId } : { book: 'office', shiftId: null } };
    const o = { orderId, accountId: order.accountId, at };
    const account = order.accountId ? await accountRow(tx, order.accountId, true) : undefined;
    const lines = await priceLinesAgain(tx, ctx, req, order.visitDay, account?.category);
    await ledger.pay(tx, actor, o, settled(ps));
    for (const it of intents) {
      const [p] = await ledger.pay(tx, { ...actor, till: it.shiftId ? { book: 'shift', shiftId: it.shiftId } : actor.till }, o, [{ method: 'mobile', amountFen: it.amountFen, reference: it.providerRef }]);
      await tx.update(paymentIntents).set({ paymentId: p!.id, updatedAt: new Date(at) }).where(eq(paymentIntents.id, it.id));
    }
    await issueHeld(tx, ctx, actor, order, lines, at);
    await tx.update(orders).set({ status: 'issued', issuedAt: new Date(at) }).where(eq(orders.id, orderId));
    await appendAudit(tx, { at, actor: user.username, action: 'order_status', subject: orderId, body: { status: 'issued' } });
  });
  const [o] = await ctx.db.select({ site: orders.site, status: orders.status }).from(orders).where(eq(orders.id, orderId));
  if (o?.status === 'issued') ctx.notify(o.site);
}

/** The lines of a held order priced as they were when it was taken (prices do not move under it). */
async function priceLinesAgain(tx: Tx, ctx: CloudContext, req: OrderRequest, day: string, category: string | undefined): Promise<PricedLine[]> {
  const admin: AuthUser = { id: '', username: '', displayName: '', roles: ['administrator'], permissions: [] };
  return priceLines(tx, ctx, admin, req, day, category);
}

/** A held order's tickets, with the slot it held signed into their codes and their places bound to it. */
async function issueHeld(tx: Tx, ctx: CloudContext, actor: Actor, order: typeof orders.$inferSelect, lines: PricedLine[], at: number) {
  const slot = slotOf(await heldSlot(tx, order.id));
  const sold = await ledger.issueLines(tx, ctx, actor, { orderId: order.id, site: order.site, at }, ledgerLines(ctx, order.visitDay, lines, slot));
  await bindHeldSlot(tx, order.site, order.id, sold.flatMap((l) => l.tickets.map((t) => ({ id: t.id, persons: t.persons }))));
}

async function cancelHeld(tx: Tx, order: typeof orders.$inferSelect, user: AuthUser, at: number, why: string) {
  const req = orderRequest.parse(order.request);
  const byType = new Map<string, number>();
  for (const l of req.lines) byType.set(l.type, (byType.get(l.type) ?? 0) + l.quantity);
  await releaseHeldSlots(tx, [order.id], true);
  for (const [c, q] of byType) {
    const [t] = await tx.select().from(ticketTypes).where(eq(ticketTypes.code, c));
    if (t) await releaseCapacity(tx, t.id, order.visitDay, q * t.persons);
  }
  await tx.update(orders).set({ status: 'cancelled' }).where(eq(orders.id, order.id));
  await appendAudit(tx, { at, actor: user.username, action: 'order_status', subject: order.id, body: { status: 'cancelled', why } });
}

/** The group has arrived: take payment for a reservation and issue its tickets. */
export async function issueReservation(ctx: CloudContext, user: AuthUser, orderId: string, input: unknown) {
  const { payments: ps } = issueRequest.parse(input);
  if (ps.some((p) => p.method === 'mobile')) throw new AppError('invalid_request', 'pay a reservation at the window by other means than a mobile code, or sell it as a new order');
  const order = await orderRow(ctx, orderId);
  await auditedTx(ctx.db, async (tx) => {
    const [locked] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
    if (locked!.status !== 'reserved') throw new AppError('order_not_reserved', `order is ${locked!.status}, not reserved`, 409);
    const actor = await resolveSeller(tx, user);
    const req = orderRequest.parse(locked!.request);
    const account = locked!.accountId ? await accountRow(tx, locked!.accountId, true) : undefined;
    const lines = await priceLines(tx, ctx, user, req, locked!.visitDay, account?.category);
    ledger.checkPaid(locked!.totalFen, ps);
    if (locked!.totalFen === 0 && !locked!.freeReason) throw new AppError('free_needs_reason', '免费票须填写原因 / a free sale needs a reason', 400);
    const at = ctx.now();
    await ledger.pay(tx, actor, { orderId, accountId: locked!.accountId, at }, settled(ps));
    await issueHeld(tx, ctx, actor, locked!, lines, at);
    await tx.update(orders).set({ status: 'issued', issuedAt: new Date(at), shiftId: actor.till.shiftId }).where(eq(orders.id, orderId));
    await appendAudit(tx, { at, actor: user.username, action: 'order_status', subject: orderId, body: { status: 'issued' } });
  });
  ctx.notify(order.site);
  return getOrder(ctx, orderId);
}

export async function cancelReservation(ctx: CloudContext, user: AuthUser, orderId: string) {
  await orderRow(ctx, orderId);
  await auditedTx(ctx.db, async (tx) => {
    const [locked] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
    if (locked!.status !== 'reserved') throw new AppError('order_not_reserved', `order is ${locked!.status}, not reserved`, 409);
    await cancelHeld(tx, locked!, user, ctx.now(), 'reservation cancelled');
  });
  return getOrder(ctx, orderId);
}

export async function orderRow(ctx: CloudContext, id: string) {
  if (!uuid.safeParse(id).success) throw notFound('order', id);
  const [o] = await ctx.db.select().from(orders).where(eq(orders.id, id));
  if (!o) throw notFound('order', id);
  return o;
}

export async function getOrder(ctx: CloudContext, id: string) {
  const o = await orderRow(ctx, id);
  const lines = await ctx.db.select({ sale: sales, type: ticketTypes.code }).from(sales).innerJoin(ticketTypes, eq(ticketTypes.id, sales.typeId))
    .where(eq(sales.orderId, id)).orderBy(asc(sales.id));
  const ts = lines.length ? await ctx.db.select().from(tickets).where(inArray(tickets.saleId, lines.map((l) => l.sale.id))).orderBy(asc(tickets.id)) : [];
  const ps = await ctx.db.select().from(payments).where(eq(payments.orderId, id)).orderBy(asc(payments.createdAt), asc(payments.id));
  const intents = await ctx.db.select().from(paymentIntents).where(eq(paymentIntents.orderId, id)).orderBy(asc(paymentIntents.id));
  return orderViewOf(o, lines, ts, ps, intents);
}

type ViewLine = { sale: Pick<typeof sales.$inferSelect, 'id' | 'quantity' | 'groupMode' | 'listPriceFen' | 'unitPriceFen' | 'discountCode' | 'totalFen'>; type: string };
type ViewTicket = Pick<typeof tickets.$inferSelect, 'id' | 'saleId' | 'code' | 'persons' | 'entries' | 'priceFen' | 'validFrom' | 'validUntil' | 'revokedReason'>;

/** An order as the API shows it (getOrder), from its rows: lines by id, tickets by id, payments by time and id. */
function orderViewOf(o: Pick<typeof orders.$inferSelect, 'id' | 'site' | 'status' | 'visitDay' | 'sellerId' | 'shiftId' | 'accountId' | 'totalFen' | 'createdAt'>,
  lines: ViewLine[], ts: ViewTicket[], ps: (typeof payments.$inferSelect)[], intents: Pick<typeof paymentIntents.$inferSelect, 'id' | 'provider' | 'amountFen' | 'status'>[]) {
  const net = ps.reduce((s, p) => s + p.amountFen, 0);
  const refunded = -ps.filter((p) => p.amountFen < 0).reduce((s, p) => s + p.amountFen, 0);
  return {
    id: o.id, site: o.site, status: o.status, visitDay: o.visitDay, sellerId: o.sellerId, shiftId: o.shiftId, accountId: o.accountId,
    totalFen: o.totalFen, paidFen: net + refunded, refundedFen: refunded, netFen: net, createdAt: o.createdAt.toISOString(),
    lines: lines.map((l) => ({
      saleId: l.sale.id, type: l.type, quantity: l.sale.quantity, group: l.sale.groupMode, listPriceFen: l.sale.listPriceFen, unitPriceFen: l.sale.unitPriceFen,
      discount: l.sale.discountCode, totalFen: l.sale.totalFen,
      tickets: ts.filter((t) => t.saleId === l.sale.id).map((t) => ({
        id: t.id, code: t.code, persons: t.persons, entries: t.entries, priceFen: t.priceFen, validFrom: t.validFrom.toISOString(), validUntil: t.validUntil.toISOString(), revoked: t.revokedReason,
      })),
    })),
    payments: ps.map((p) => ({ id: p.id, method: p.method, amountFen: p.amountFen, tenderedFen: p.tenderedFen, changeFen: p.changeFen, reference: p.reference, refundId: p.refundId, createdAt: p.createdAt.toISOString() })),
    intents: intents.map((i) => ({ id: i.id, provider: i.provider, amountFen: i.amountFen, status: i.status })),
  };
}
