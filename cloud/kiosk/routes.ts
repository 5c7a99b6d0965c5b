import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { DeviceIdentity } from '../../shared/auth/device.ts';
import { lookupBookings, lookupQuery } from '../channels/pickup.ts';
import { bookingView } from '../channels/schemas.ts';
import { listTicketTypes } from '../catalog/service.ts';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { AppError } from '../http/errors.ts';
import { idempotency, type IdempotencyClaim } from '../http/idempotency.ts';
import type { MobileProvider } from '../office/payments/mobile.ts';
import { getCapacity } from '../office/pricing/setup.ts';
import { getSale } from '../sales/service.ts';
import { addDays, businessDay, startOfBusinessDay, wallClock } from '../../shared/time/zone.ts';
import { bindTicketSlots, openSlots, slotOf, slotVenue, takeWindowSlot } from '../slots/service.ts';
import { asc, eq } from 'drizzle-orm';
import { ticketTypeByCode } from '../catalog/service.ts';
import { orders, payments, sales } from '../db/schema/index.ts';
import { ledger } from '../ledger/index.ts';
import { auditedTx } from '../office/audit.ts';
import { takeCapacity } from '../office/pricing/pricing.ts';
import { bindRealName } from '../tickets/credentials.ts';
import { refuseWhenFull } from '../capacity/alarms.ts';
import { auditedSaleTx } from '../sync/changes.ts';
import { isValidIdNumber, normaliseCredential, storedCredential } from '../../shared/rules/credential.ts';

/** The kiosk a request comes from (device auth under /sync has checked its credential). */
function kioskOf(c: Context<CloudEnv>): DeviceIdentity {
  const id = c.get('device');
  if (!id || (id.role !== 'kiosk' && id.role !== 'hq')) throw new AppError('device_forbidden', 'only kiosks may call this', 403);
  return id;
}

/** Types a visitor can buy alone at a kiosk: visitor tickets with a price. */
async function kioskTypes(ctx: CloudContext) {
  return (await listTicketTypes(ctx.db))
    .filter((t) => t.priceFen > 0 && (t.rules?.kind ?? 'visitor') === 'visitor')
    .map((t) => ({ typeId: t.id, code: t.code, name: t.name, priceFen: t.priceFen, persons: t.persons, entries: t.entries, validityDays: t.validityDays }));
}

export const kioskSaleRequest = z.object({
  /** Made and stored by the kiosk before paying: the payment's and the sale's idempotency key. */
  attemptId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  items: z.array(z.object({ type: z.string().min(1).max(32), quantity: z.number().int().min(1).max(20) })).min(1).max(10)
    .refine((items) => new Set(items.map((i) => i.type)).size === items.length, { message: 'each ticket type at most once' }),
  /** What the screen showed the visitor: charged only if it is still the price. */
  amountFen: z.number().int().min(1),
  /** The visitor's payment code (付款码), scanned at the kiosk. */
  authCode: z.string().regex(/^\d{10,32}$/),
  /** The visitor's ID card, read at the kiosk: real-name tickets are bound to it. */
  idNumber: z.string().max(20).refine((v) => isValidIdNumber(normaliseCredential('idcard', v)), '身份证号无效 / not a valid ID card number').optional(),
  /** Start of today's time slot (分时预约) the visitor chose; absent: the slot under way, or the next one with room. */
  slot: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM').optional(),
}).strict().meta({ id: 'KioskSaleRequest' });

const kioskType = z.object({
  typeId: z.number().int(), code: z.string(), name: z.string(), priceFen: z.number().int(), persons: z.number().int(), entries: z.number().int(), validityDays: z.number().int(),
});
const soldTicket = z.object({
  id: z.string(), code: z.string().describe('Signed ticket code'), type: z.string(), validFrom: z.string(), validUntil: z.string(),
  persons: z.number().int(), entries: z.number().int(), priceFen: z.number().int(), typeId: z.number().int(), typeName: z.string(),
});
const kioskSaleView = z.object({ state: z.literal('paid'), providerRef: z.string(), amountFen: z.number().int(), tickets: z.array(soldTicket) }).meta({ id: 'KioskSale' });
const kioskPendingView = z.object({ state: z.literal('pending'), providerRef: z.string() });

/** Only kiosks (and HQ's own tools) call these; said before the request is read, as before any other check. */
const kioskOnly: MiddlewareHandler<CloudEnv> = async (c, next) => {
  kioskOf(c);
  await next();
};

/**
 * Endpoints for self-service kiosks, under /api/v1/sync/kiosk (device credentials):
 * finding bookings online, the types a kiosk sells, and a self-service sale paid through the
 * payment provider. Bookings and pickups reuse the booking domain (cloud/channels).
 */
export function kioskRoutes(ctx: CloudContext, opts: { payments: MobileProvider }) {
  return new Hono<CloudEnv>()
    .use('*', kioskOnly)
    .get('/bookings', endpoint({
      summary: 'Find bookings for a kiosk of their site (order and phone, phone, ID number or QR)', query: lookupQuery,
      responses: { 200: z.object({ bookings: z.array(bookingView.meta({ id: 'Booking' })) }) },
    }), async (c) => {
      const kiosk = kioskOf(c);
      const found = await lookupBookings(ctx, c.req.valid('query'));
      return c.json({ bookings: found.filter((b) => kiosk.role === 'hq' || b.site === kiosk.site) });
    })
    .get('/types', endpoint({ summary: 'Types a kiosk sells: visitor tickets with a price', responses: { 200: z.object({ types: z.array(kioskType) }) } }),
      async (c) => c.json({ types: await kioskTypes(ctx) }))
    .post('/sales', idempotency(ctx, { key: attemptOf, replay: async (c, ref) => c.json(await paidView(ctx, String(ref.orderId))) }), endpoint({
      summary: 'A self-service sale paid by the visitor\'s payment code (idempotent on attemptId)', body: kioskSaleRequest,
      responses: { 200: kioskSaleView, 202: { description: 'The payment is still pending at the provider', schema: kioskPendingView } },
    }), async (c) => {
      const kiosk = kioskOf(c);
      const req = c.req.valid('json');
      const types = new Map((await kioskTypes(ctx)).map((t) => [t.code, t]));
      const unknown = req.items.filter((i) => !types.has(i.type)).map((i) => i.type);
      if (unknown.length) throw new AppError('type_not_sold', `not sold at kiosks: ${unknown.join(', ')}`, 422);
      const total = req.items.reduce((s, i) => s + types.get(i.type)!.priceFen * i.quantity, 0);
      if (total !== req.amountFen) throw new AppError('price_changed', `票价已变更 / the total is now ${total} fen`, 409, { amountFen: total });
      // Sold out is said before charging; a sale that sells out between here and issuing is paid_not_issued below.
      const today = businessDay(ctx.now(), ctx.config.timeZone);
      for (const i of req.items) {
        const cap = await getCapacity(ctx, i.type, today);
        if (cap.left !== null && cap.left < i.quantity * types.get(i.type)!.persons) {
          throw new AppError('sold_out', `今日余票不足 / not enough ${i.type} tickets left today: ${cap.left}`, 409, { type: i.type, left: cap.left });
        }
      }
      await checkSlotRoom(ctx, kiosk.site, req, today);
      // An attempt charged before and not issued is money owed (recordOwed below): said again, never sold twice.
      const owedKey = `kiosk:${kiosk.site}:${kiosk.device}:${req.attemptId}`;
      const [owed] = await ctx.db.select({ id: orders.id }).from(orders).where(eq(orders.id, ledger.keyedId(owedKey)));
      if (owed) throw new AppError('paid_not_issued', `已扣款但出票失败，请联系工作人员 / paid, but the tickets were not issued (order ${owed.id})`, 409, { orderId: owed.id });
      // The provider's charge is idempotent on the intent id: a retried attempt is the same charge.
      const intentId = `kiosk-${kiosk.site}-${kiosk.device}-${req.attemptId}`;
      const charge = await opts.payments.charge({ intentId, amountFen: total, authCode: req.authCode });
      let status = charge.status;
      if (status === 'pending') status = await opts.payments.query(charge.providerRef);
      if (status === 'failed') throw new AppError('payment_failed', '支付失败，未扣款 / payment failed; nothing was charged', 402, { providerRef: charge.providerRef });
      if (status === 'pending') return c.json({ state: 'pending', providerRef: charge.providerRef }, 202);
      let orderId: string;
      try {
        orderId = await sellAtKiosk(ctx, kiosk, c.get('idempotency'), req, charge.providerRef);
      } catch (err) {
        // Charged, but the tickets could not be made (sold out meanwhile): say so, never "nothing charged".
        const code = err instanceof AppError ? err.code : 'internal';
        ctx.log.error({ kiosk: kiosk.device, attemptId: req.attemptId, providerRef: charge.providerRef, code, err: (err as Error).message }, 'kiosk sale paid but not issued');
        await recordOwed(ctx, kiosk, owedKey, req, total, charge.providerRef, code);
        throw new AppError('paid_not_issued', `已扣款但出票失败，请联系工作人员 / paid, but the tickets could not be issued (${code}); staff will refund`, 409, { providerRef: charge.providerRef, cause: code });
      }
      ctx.log.info({ kiosk: kiosk.device, attemptId: req.attemptId, amountFen: total, providerRef: charge.providerRef }, 'kiosk sale paid');
      return c.json(await paidView(ctx, orderId));
    });
}

/** Said before charging, as sold out is: the park full, or no slot of today left with room for the visitors (a race after it is paid_not_issued). */
async function checkSlotRoom(ctx: CloudContext, site: string, req: z.infer<typeof kioskSaleRequest>, day: string) {
  const rows = await Promise.all(req.items.map(async (i) => ({ q: i.quantity, type: await ticketTypeByCode(ctx.db, i.type) })));
  const persons = rows.reduce((n, r) => n + r.q * r.type.persons, 0);
  const local = wallClock(ctx.now(), ctx.config.timeZone);
  await refuseWhenFull(ctx.db, ctx, site, slotVenue(rows[0]!.type.rules), day);
  const found = await openSlots(ctx.db, { site, venue: slotVenue(rows[0]!.type.rules), day, persons, minute: local.hour * 60 + local.minute, walkIn: false });
  if (!found) return;
  const fits = req.slot === undefined ? found.room.length > 0 : found.room.some((s) => s.slotFrom === req.slot);
  if (!fits) throw new AppError('slot_full', req.slot ? `${req.slot} 时段已约满 / the ${req.slot} slot is full` : '今日余下时段已约满 / today\'s remaining slots are full', 409, { day, from: req.slot ?? null });
}

/** The attempt id a kiosk made before paying: its sale's idempotency key. */
export async function attemptOf(c: Context): Promise<string | undefined> {
  try {
    const id = (JSON.parse(await c.req.text()) as { attemptId?: unknown } | null)?.attemptId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined; // endpoint() says what is wrong with the body
  }
}

/** The answer to a paid kiosk sale, from what the ledger recorded (also rebuilds a lost answer). */
async function paidView(ctx: CloudContext, orderId: string) {
  const [order] = await ctx.db.select().from(orders).where(eq(orders.id, orderId));
  const [paid] = await ctx.db.select({ reference: payments.reference }).from(payments).where(eq(payments.orderId, orderId)).limit(1);
  const names = new Map((await listTicketTypes(ctx.db)).map((t) => [t.code, { typeId: t.id, typeName: t.name }]));
  const ids = (await ctx.db.select({ id: sales.id }).from(sales).where(eq(sales.orderId, orderId)).orderBy(asc(sales.id))).map((s) => s.id);
  const sold = await Promise.all(ids.map((id) => getSale(ctx, id)));
  return {
    state: 'paid' as const, providerRef: paid?.reference ?? '', amountFen: order!.totalFen,
    tickets: sold.flatMap((s) => s.tickets.map((t) => ({ ...t, ...names.get(s.type)! }))),
  };
}

type KioskType = Awaited<ReturnType<typeof kioskTypes>>[number];

/**
 * The kiosk's sale through the ledger, once per attempt: one order in the kiosk's shift of the
 * day, its mobile payment with the provider's reference, a line per type, real names bound.
 */
async function sellAtKiosk(ctx: CloudContext, kiosk: DeviceIdentity, idem: IdempotencyClaim | undefined, req: z.infer<typeof kioskSaleRequest>, providerRef: string): Promise<string> {
  const at = ctx.now();
  const tz = ctx.config.timeZone;
  const day = businessDay(at, tz);
  const rows = await Promise.all(req.items.map(async (i) => ({ item: i, type: await ticketTypeByCode(ctx.db, i.type) })));
  const orderId = await auditedSaleTx(ctx.db, async (tx) => {
    const actor = await ledger.kioskActor(tx, kiosk.site, kiosk.device, day, at);
    await refuseWhenFull(tx, ctx, kiosk.site, slotVenue(rows[0]!.type.rules), day);
    // A day sold by time slot: the kiosk sells from the slot's quota less the walk-in share
    // (kept for the windows), the slot chosen or the one under way (cloud/slots).
    const local = wallClock(at, tz);
    const persons = rows.reduce((n, r) => n + r.item.quantity * r.type.persons, 0);
    const slot = await takeWindowSlot(tx, { site: kiosk.site, venue: slotVenue(rows[0]!.type.rules), day, from: req.slot, persons, today: day, minute: local.hour * 60 + local.minute, walkIn: false });
    const sold = await ledger.sell(tx, ctx, actor, {
      site: kiosk.site, visitDay: day, channel: 'kiosk', source: kiosk.device, at, request: req,
      lines: rows.map(({ item, type }) => ({
        type, quantity: item.quantity, unitFen: type.priceFen, slot: slotOf(slot),
        validFrom: startOfBusinessDay(day, tz), validUntil: startOfBusinessDay(addDays(day, type.validityDays), tz),
      })),
      payments: [{ method: 'mobile', amountFen: req.amountFen, reference: providerRef }],
    });
    if (slot) await bindTicketSlots(tx, kiosk.site, slot, sold.lines.flatMap((l) => l.tickets.map((t) => ({ id: t.id, persons: t.persons }))));
    // Places in one fixed order (the slot, then by type), as every sale takes them: two sales never wait on each other.
    for (const r of [...rows].sort((a, b) => a.type.id - b.type.id)) await takeCapacity(tx, r.type, day, r.item.quantity * r.type.persons);
    await bindRealName(tx, kiosk.site, req.idNumber && storedCredential('idcard', req.idNumber), sold.lines.flatMap((l) => l.tickets.map((t) => t.id)), at);
    await idem?.claim(tx, { orderId: sold.orderId });
    return sold.orderId;
  });
  ctx.notify(kiosk.site);
  return orderId;
}

/**
 * The money of a kiosk sale charged at the provider whose tickets could not be made: an
 * order owed (ledger.owe) in the kiosk's shift of the day with its mobile payment, so the
 * books hold the money and the reconciliation names it until finance refunds it or issues
 * the tickets (cloud/kiosk/owed.ts). Its key is the attempt's: a retry finds it and is answered the same.
 */
export async function recordOwed(ctx: CloudContext, kiosk: DeviceIdentity, key: string, req: z.infer<typeof kioskSaleRequest>, totalFen: number, providerRef: string, cause: string) {
  const at = ctx.now();
  const day = businessDay(at, ctx.config.timeZone);
  await auditedTx(ctx.db, async (tx) => {
    const id = ledger.keyedId(key);
    const [prior] = await tx.select({ id: orders.id }).from(orders).where(eq(orders.id, id));
    if (prior) return;
    const actor = await ledger.kioskActor(tx, kiosk.site, kiosk.device, day, at);
    await ledger.owe(tx, actor, {
      id, site: kiosk.site, visitDay: day, channel: 'kiosk', source: kiosk.device, at, request: req, totalFen, cause,
      payments: [{ method: 'mobile', amountFen: totalFen, reference: providerRef }],
    });
  }).catch((err) => ctx.log.error({ kiosk: kiosk.device, attemptId: req.attemptId, providerRef, err: (err as Error).message }, 'kiosk money owed could not be recorded'));
}
