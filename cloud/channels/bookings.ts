import { randomBytes } from 'node:crypto';
import { base32nopad } from '@scure/base';
import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { lookupHash, normaliseLookup, PHONE } from '../../shared/booking/lookup.ts';
import { fen, timesFen } from '../../shared/money/money.ts';
import { isValidIdNumber } from '../../shared/rules/credential.ts';
import type { BookingRow } from '../../shared/sync/messages.ts';
import { addDays, businessDay, startOfBusinessDay } from '../../shared/time/zone.ts';
import type { CloudContext } from '../context.ts';
import { bookingItems, bookings, bookingSlots, channelDayUsage, channelPrices, channels, entries, orders, sales, tickets, ticketTypes, timeSlots } from '../db/schema/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import { appendChanges, auditedSaleTx } from '../sync/changes.ts';
import { holdLedgerRows, writeAtEnd, writesTogether } from '../db/at-end.ts';
import type { Tx } from '../tickets/issue.ts';
import { ledger } from '../ledger/index.ts';
import { capacityPlace, releaseCapacity, soldOut } from '../office/pricing/pricing.ts';
import { takePlaces, type Place } from '../capacity/places.ts';
import type { Channel } from './admin.ts';
import type { IdempotencyClaim } from '../http/idempotency.ts';
import { auditedTx } from '../office/audit.ts';
import type { BookingRequest, BookingView, PayRequest } from './schemas.ts';
import { bindRealName } from '../tickets/credentials.ts';
import { isCalendarDay } from '../../shared/time/day.ts';
import { refuseWhenFull } from '../capacity/alarms.ts';
import { bindHeldSlot, holdSlot, releaseBookingSlots, releaseTicketSlots, slotOf, slotPlace, slotRefusal, slotVenue, takeSlot } from '../slots/service.ts';
import { queueCancellation } from './notices.ts';

type Booking = typeof bookings.$inferSelect;
type Db = CloudContext['db'];

/** What a write of the booking API answers: a refusal that is an answer (an expired hold) is one too. */
export interface Outcome { status: 200 | 201 | 409 | 422; body: unknown }

const err = (status: 409 | 422, code: string, message: string): Outcome => ({ status, body: { error: { code, message } } });

function randomText(bytes: number): string {
  return base32nopad.encode(randomBytes(bytes));
}

/** Books tickets for a visit day: checks prices and the channel's quota; holds them until paid. */
export async function createBooking(ctx: CloudContext, ch: Channel, req: BookingRequest, idem?: IdempotencyClaim): Promise<Outcome> {
  return auditedTx(ctx.db, async (tx): Promise<Outcome> => {
    const now = ctx.now();
    const tz = ctx.config.timeZone;
    const today = businessDay(now, tz);
    if (!isCalendarDay(req.visitDay)) return err(422, 'invalid_day', `不是有效日期 / not a valid day: ${req.visitDay}`);
    if (req.visitDay < today) return err(422, 'day_past', `游玩日期已过 / the visit day ${req.visitDay} has passed`);
    if (req.visitDay > addDays(today, ch.maxDaysAhead)) return err(422, 'day_too_far', `最多提前 ${ch.maxDaysAhead} 天预订 / bookings open ${ch.maxDaysAhead} days ahead`);
    const phone = normaliseLookup('phone', req.contact.phone);
    if (!PHONE.test(phone)) return err(422, 'invalid_phone', '手机号无效 / not a valid mobile number');
    const idNumber = req.contact.idNumber === undefined ? undefined : normaliseLookup('id', req.contact.idNumber);
    if (idNumber !== undefined && !isValidIdNumber(idNumber)) return err(422, 'invalid_id_number', '身份证号无效 / not a valid ID card number');

    // The channel's prices with their types' rows in one read (one round trip less per booking).
    const offered = await tx.select({ priceFen: channelPrices.priceFen, type: ticketTypes }).from(channelPrices)
      .innerJoin(ticketTypes, eq(ticketTypes.id, channelPrices.typeId)).where(eq(channelPrices.channelId, ch.id));
    const prices = new Map(offered.map((p) => [p.type.code, { typeId: p.type.id, priceFen: p.priceFen }]));
    const types = new Map(offered.map((p) => [p.type.code, p.type]));
    const unknown = req.items.filter((i) => !prices.has(i.type) || types.get(i.type)?.active === false).map((i) => i.type);
    if (unknown.length) return err(422, 'type_not_offered', `本渠道不售 / not sold through this channel: ${unknown.join(', ')}`);
    const quantity = req.items.reduce((n, i) => n + i.quantity, 0);

    await refuseWhenFull(tx, ctx, ch.site, slotVenue(types.get(req.items[0]!.type)!.rules), req.visitDay);
    await releaseExpiredHolds(tx, ctx.db, ch.id, req.visitDay, now);
    const total = req.items.reduce((sum, i) => sum + timesFen(fen(prices.get(i.type)!.priceFen), i.quantity), 0);
    const id = uuidv7();
    const orderNo = `B${today.slice(2).replaceAll('-', '')}${randomText(7).slice(0, 10)}`;
    const pickupCode = `BK${randomText(15)}`;
    // Before the places (the rows every buyer of the day queues on, held from their update to
    // the commit): which slot (a read), then the booking, its hold of the slot and the
    // idempotency key with the answer, in one statement (cloud/db/at-end.ts writesTogether:
    // nothing reads them back here; three round trips less per booking). Then only the places'
    // updates and the commit remain under those rows: the fewer round trips there, the more
    // buyers a second (bench:peak).
    const venue = slotVenue(types.get(req.items[0]!.type)!.rules);
    const persons = req.items.reduce((n, i) => n + i.quantity * types.get(i.type)!.persons, 0);
    const want = { site: ch.site, venue, day: req.visitDay, from: req.slot, persons, walkIn: false };
    // A day sold by time slot needs one chosen (takeSlot refuses with none; a day without slots answers undefined).
    const [chosen] = req.slot === undefined ? [await takeSlot(tx, want)] : await tx.select().from(timeSlots)
      .where(and(eq(timeSlots.site, ch.site), eq(timeSlots.venue, venue), eq(timeSlots.day, req.visitDay), eq(timeSlots.slotFrom, req.slot)));
    const byType = [...req.items].sort((a, b) => types.get(a.type)!.id - types.get(b.type)!.id);
    // The answer from what is written, not read back (two round trips less; the booking's
    // view is bookingView's, which test/channel*.test.ts compare with GET).
    const view: BookingView = {
      orderNo, channel: ch.code, externalRef: req.externalRef ?? null, site: ch.site, visitDay: req.visitDay, state: 'booked',
      contact: { name: req.contact.name, phoneLast4: phone.slice(-4) }, slot: chosen ? { from: chosen.slotFrom, to: chosen.slotTo } : null,
      items: byType.map((i) => ({ type: i.type, quantity: i.quantity, unitPriceFen: prices.get(i.type)!.priceFen })),
      quantity, totalFen: total, pickupCode, holdUntil: new Date(now + ch.holdMinutes * 60_000).toISOString(),
      paidAt: null, cancelledAt: null, pickedUpAt: null, tickets: [],
    };
    await writesTogether(tx, async () => {
      await writeAtEnd(tx, tx.insert(bookings).values({
        id, orderNo, channelId: ch.id, externalRef: req.externalRef ?? null, site: ch.site, visitDay: req.visitDay, state: 'booked',
        contactName: req.contact.name, phoneHash: lookupHash('phone', phone), phoneLast4: phone.slice(-4),
        idHash: idNumber ? lookupHash('id', idNumber) : null, idRegion: idNumber ? idNumber.slice(0, 6) : null,
        pickupCode, quantity, totalFen: total, customerId: ch.customerId,
        holdUntil: new Date(now + ch.holdMinutes * 60_000), createdAt: new Date(now),
      }));
      await writeAtEnd(tx, tx.insert(bookingItems).values(req.items.map((i) => ({ bookingId: id, typeId: prices.get(i.type)!.typeId, quantity: i.quantity, unitPriceFen: prices.get(i.type)!.priceFen }))));
      if (chosen) await holdSlot(tx, id, chosen, persons);
      // The key with its answer, in this transaction (cloud/http/idempotency.ts).
      await idem?.claim(tx, { bookingId: id }, { status: 201, body: view });
    });
    // The places last, in one statement, in the fixed order every sale takes them (the
    // channel's quota, the slot, the types' day capacity: cloud/capacity/places.ts), and
    // nothing after them but the commit. The type's own daily capacity is shared with the
    // windows: a booking holds its places too. A refusal rolls back the rows above.
    const places: Place[] = [quotaPlace(ch, req.visitDay, quantity)];
    if (req.slot !== undefined) places.push(slotPlace({ ...want, from: req.slot }));
    for (const i of byType) places.push(capacityPlace(types.get(i.type)!, req.visitDay, i.quantity * types.get(i.type)!.persons));
    const refused = places[(await takePlaces(tx, places, { last: true })).failed];
    if (refused?.kind === 'quota') throw quotaExceeded(req.visitDay);
    if (refused?.kind === 'slot') throw await slotRefusal(tx, refused);
    if (refused?.kind === 'capacity') throw await soldOut(tx, offered.find((p) => p.type.id === refused.typeId)!.type, req.visitDay, refused.persons);
    return { status: 201, body: view };
  });
}

/**
 * The channel's count for the day as one of a booking's places (cloud/capacity/places.ts):
 * raised only if it stays within the quota, in one conditional write; concurrent bookings
 * queue on the row and each sees the others' count.
 */
const quotaPlace = (ch: Channel, day: string, n: number): Place => ({ kind: 'quota', channelId: ch.id, day, n, quota: ch.dailyQuota });

const quotaExceeded = (day: string) => new AppError('quota_exceeded', `${day} 渠道余票不足 / the channel's quota for ${day} is used up`, 409, { day });

async function releaseQuota(tx: Tx, channelId: number, day: string, n: number): Promise<void> {
  if (n <= 0) return;
  await tx.update(channelDayUsage).set({ used: sql`greatest(${channelDayUsage.used} - ${n}, 0)` })
    .where(and(eq(channelDayUsage.channelId, channelId), eq(channelDayUsage.day, day)));
}

/**
 * Unpaid bookings whose hold ran out give their tickets back to the quota and the types'
 * capacity. Run by a booking of the channel and day at most once a second per HQ node (by
 * HQ's clock): a hold is let go within a second of running out, and at peak 500 bookings a
 * second do not each scan the day's holds (one round trip less per booking, bench:peak).
 */
async function releaseExpiredHolds(tx: Tx, db: object, channelId: number, day: string, now: number): Promise<void> {
  let last = lastRelease.get(db);
  if (!last) lastRelease.set(db, (last = new Map()));
  const key = `${channelId}/${day}`;
  const at = last.get(key);
  if (at !== undefined && now >= at && now - at < 1000) return;
  last.set(key, now);
  const gone = await tx.update(bookings).set({ state: 'expired' })
    .where(and(eq(bookings.channelId, channelId), eq(bookings.visitDay, day), eq(bookings.state, 'booked'), lt(bookings.holdUntil, new Date(now))))
    .returning({ id: bookings.id, quantity: bookings.quantity });
  await releaseQuota(tx, channelId, day, gone.reduce((n, b) => n + b.quantity, 0));
  await releaseBookingSlots(tx, gone.map((b) => b.id));
  await releaseCapacities(tx, gone.map((b) => b.id), day);
}

/** When each channel and day last let its holds go, per database handle (releaseExpiredHolds). */
const lastRelease = new WeakMap<object, Map<string, number>>();

/** Gives back the places a booking held of its types' daily capacity. */
async function releaseCapacities(tx: Tx, bookingIds: string[], day: string): Promise<void> {
  if (bookingIds.length === 0) return;
  const items = await tx.select({ typeId: bookingItems.typeId, quantity: bookingItems.quantity, persons: ticketTypes.persons }).from(bookingItems)
    .innerJoin(ticketTypes, eq(ticketTypes.id, bookingItems.typeId)).where(inArray(bookingItems.bookingId, bookingIds));
  for (const i of items) await releaseCapacity(tx, i.typeId, day, i.quantity * i.persons);
}

async function lockBooking(tx: Tx, ch: Channel, orderNo: string): Promise<Booking> {
  const [row] = await tx.select().from(bookings).where(and(eq(bookings.orderNo, orderNo), eq(bookings.channelId, ch.id))).for('update');
  if (!row) throw notFound('booking', orderNo);
  return row;
}

/** Payment confirmed by the channel (or our web shop's payment provider): tickets are made. */
export async function payBooking(ctx: CloudContext, ch: Channel, orderNo: string, req: PayRequest, idem?: IdempotencyClaim): Promise<Outcome> {
  // The change log's rows are the last ones written, and numbered after the commit (cloud/sync/changes.ts auditedSaleTx).
  const out = await auditedSaleTx(ctx.db, async (tx): Promise<Outcome> => {
    const now = ctx.now();
    // The booking (locked, as lockBooking), its lines with their types and the slot it holds,
    // in one read: two round trips less per payment (bench:peak). Only the booking is locked;
    // of the rest only what a payment cannot change is used (types, the slot's id and times).
    const read = await tx.select({ b: bookings, item: bookingItems, type: ticketTypes, slot: timeSlots }).from(bookings)
      .leftJoin(bookingItems, eq(bookingItems.bookingId, bookings.id)).leftJoin(ticketTypes, eq(ticketTypes.id, bookingItems.typeId))
      .leftJoin(bookingSlots, eq(bookingSlots.bookingId, bookings.id)).leftJoin(timeSlots, eq(timeSlots.id, bookingSlots.slotId))
      .where(and(eq(bookings.orderNo, orderNo), eq(bookings.channelId, ch.id))).orderBy(asc(bookingItems.typeId)).for('update', { of: bookings });
    if (!read[0]) throw notFound('booking', orderNo);
    const b = read[0].b;
    if (b.state !== 'booked') {
      if (b.paymentRef === req.paymentRef && b.state !== 'expired') return { status: 200, body: await bookingView(tx, ch, b.id) };
      return err(409, `booking_${b.state}`, `订单状态为 ${b.state}，不能付款 / the booking is ${b.state} and cannot be paid`);
    }
    if (b.holdUntil.getTime() < now) {
      await tx.update(bookings).set({ state: 'expired' }).where(eq(bookings.id, b.id));
      await releaseQuota(tx, ch.id, b.visitDay, b.quantity);
      await releaseBookingSlots(tx, [b.id]);
      await releaseCapacities(tx, [b.id], b.visitDay);
      return err(409, 'booking_expired', '订单已超时未付款 / the booking was not paid in time and has expired');
    }
    if (req.amountFen !== b.totalFen) return err(422, 'amount_mismatch', `金额不符：应付 ${b.totalFen} 分 / amount must be ${b.totalFen} fen`);
    const tz = ctx.config.timeZone;
    const items = read.flatMap(({ item, type }) => (item && type ? [{ item, type }] : []));
    // The channel collected the money: one order in the channel's settlement, paid by method
    // `channel` with the channel's payment reference, a line per booked type; the slot held
    // is signed into the codes.
    const held = read[0].slot ?? undefined;
    const slot = slotOf(held);
    // Nothing below reads the ledger's rows back, and everything below is held for the last
    // statement: the order, its payment, sales and tickets go with it too (four round trips
    // less per payment, cloud/db/at-end.ts). Not when an ID number is bound to the tickets
    // (bindRealName reads them).
    if (!b.idHash) holdLedgerRows(tx);
    const sold = await ledger.sell(tx, ctx, ledger.channelActor(ch.code), {
      site: b.site, visitDay: b.visitDay, channel: 'channel', source: ch.code, at: now, note: `booking ${b.orderNo}`,
      freeReason: b.totalFen === 0 ? `渠道免费票 ${b.orderNo}` : null,
      lines: items.map(({ item, type }) => ({
        type, quantity: item.quantity, unitFen: item.unitPriceFen, slot,
        validFrom: startOfBusinessDay(b.visitDay, tz), validUntil: startOfBusinessDay(addDays(b.visitDay, type.validityDays), tz),
      })),
      payments: b.totalFen === 0 ? [] : [{ method: 'channel', amountFen: b.totalFen, reference: req.paymentRef }],
    });
    // The booking's own rows are written with the sale's last statement (writeAtEnd): read by nothing after.
    for (const line of sold.lines) {
      await writeAtEnd(tx, tx.update(bookingItems).set({ saleId: line.saleId }).where(and(eq(bookingItems.bookingId, b.id), eq(bookingItems.typeId, line.line.type.id))));
      await bindRealName(tx, b.site, b.idHash, line.tickets.map((t) => t.id), now);
    }
    await bindHeldSlot(tx, b.site, b.id, sold.lines.flatMap((line) => line.tickets.map((t) => ({ id: t.id, persons: t.persons }))), held ?? null);
    const paid: Booking = { ...b, state: 'issued', paidAt: new Date(now), paymentRef: req.paymentRef };
    await writeAtEnd(tx, tx.update(bookings).set({ state: paid.state, paidAt: paid.paidAt, paymentRef: paid.paymentRef }).where(eq(bookings.id, b.id)));
    // The tickets just made, by id as bookingView and publishBooking list them: the booking
    // is published and answered from what this transaction wrote, not read back (five round
    // trips less per payment at peak; test/channel*.test.ts compare the answer with GET).
    const code = new Map(items.map(({ type }) => [type.id, type.code]));
    const made = sold.lines.flatMap((line) => line.tickets).sort((x, y) => (x.id < y.id ? -1 : 1));
    await publishBookingRow(ctx, tx, paid, made);
    const view: BookingView = {
      ...viewOf(paid, ch.code, held ? { from: held.slotFrom, to: held.slotTo } : null,
        [...items].sort((x, y) => x.type.id - y.type.id).map(({ item, type }) => ({ type: type.code, quantity: item.quantity, unitPriceFen: item.unitPriceFen }))),
      tickets: made.map((t) => ({
        id: t.id, type: code.get(t.typeId)!, code: t.code, persons: t.persons, validFrom: new Date(t.validFrom).toISOString(), validUntil: new Date(t.validUntil).toISOString(), revoked: null,
      })),
    };
    await idem?.claim(tx, { bookingId: b.id }, { status: 200, body: view });
    return { status: 200, body: view };
  });
  ctx.notify(ch.site);
  return out;
}

/**
 * Cancels a booking: a paid one until the channel's cutoff before the visit day starts, never
 * after pickup or after any of its tickets was used. Its tickets are revoked (gates refuse
 * them from their next pull) and its tickets go back to the channel's quota.
 */
export async function cancelBooking(ctx: CloudContext, ch: Channel, orderNo: string, reason: string | undefined, idem?: IdempotencyClaim): Promise<Outcome> {
  // The change log's rows are the last ones written, and numbered after the commit (cloud/sync/changes.ts auditedSaleTx).
  const out = await auditedSaleTx(ctx.db, async (tx): Promise<Outcome> => {
    const now = ctx.now();
    const b = await lockBooking(tx, ch, orderNo);
    if (b.state === 'cancelled') return { status: 200, body: await bookingView(tx, ch, b.id) };
    if (b.state === 'picked_up') return err(409, 'already_picked_up', '已取票，不能取消 / tickets were picked up; the booking cannot be cancelled');
    if (b.state === 'expired') return err(409, 'booking_expired', '订单已超时 / the booking has expired');
    // An unpaid booking only holds places: it may always be let go.
    const cutoff = startOfBusinessDay(b.visitDay, ctx.config.timeZone) - ch.cancelCutoffMinutes * 60_000;
    if (b.state === 'issued' && now >= cutoff) return err(409, 'cancel_too_late', `已过取消截止时间 / cancellations closed at ${new Date(cutoff).toISOString()}`);
    const ids = await bookingTicketIds(tx, b.id);
    if (ids.length) {
      const [used] = await tx.select({ n: sql<number>`count(*)::int` }).from(entries).where(inArray(entries.ticketId, ids));
      if ((used?.n ?? 0) > 0) return err(409, 'already_used', '门票已入园使用，不能取消 / a ticket of this booking was already used');
    }
    await tx.update(bookings).set({ state: 'cancelled', cancelledAt: new Date(now), cancelReason: reason ?? null }).where(eq(bookings.id, b.id));
    await queueCancellation(tx, b, reason ?? null, new Date(now));
    await releaseQuota(tx, ch.id, b.visitDay, b.quantity);
    await releaseBookingSlots(tx, [b.id]);
    if (b.state === 'issued') await releaseTicketSlots(tx, ids, false);
    await releaseCapacities(tx, [b.id], b.visitDay);
    if (b.state === 'issued') {
      await ledger.revokeTickets(tx, b.site, ids, 'cancelled', now);
      // The money goes back through the channel's settlement, by the method it came in.
      const [line] = await tx.select({ orderId: sales.orderId }).from(bookingItems).innerJoin(sales, eq(sales.id, bookingItems.saleId)).where(eq(bookingItems.bookingId, b.id)).limit(1);
      const [order] = line?.orderId ? await tx.select().from(orders).where(eq(orders.id, line.orderId)).for('update') : [];
      if (order && b.totalFen > 0) await ledger.refund(tx, ledger.channelActor(ch.code), { order, amountFen: b.totalFen, method: 'channel', reason: reason ?? `渠道取消 ${b.orderNo}`, at: now });
      await publishBooking(ctx, tx, b.id);
    }
    await idem?.claim(tx, { bookingId: b.id });
    return { status: 200, body: await bookingView(tx, ch, b.id) };
  });
  ctx.notify(ch.site);
  return out;
}

export async function bookingTicketIds(tx: Tx | Db, bookingId: string): Promise<string[]> {
  const rows = await tx.select({ id: tickets.id }).from(bookingItems).innerJoin(tickets, eq(tickets.saleId, bookingItems.saleId))
    .where(eq(bookingItems.bookingId, bookingId)).orderBy(asc(tickets.id));
  return rows.map((r) => r.id);
}

/**
 * Puts the booking into its site's change log, for kiosks to hand out its tickets while HQ
 * is out of reach. Bookings of past visit days are not sent (the log reader also drops them).
 */
export async function publishBooking(ctx: CloudContext, tx: Tx, bookingId: string): Promise<void> {
  const [b] = await tx.select().from(bookings).where(eq(bookings.id, bookingId));
  if (!b || !['issued', 'picked_up', 'cancelled'].includes(b.state)) return;
  if (b.visitDay < businessDay(ctx.now(), ctx.config.timeZone)) return;
  const list = await tx.select({ id: tickets.id, code: tickets.code, typeId: tickets.typeId, persons: tickets.persons })
    .from(bookingItems).innerJoin(tickets, eq(tickets.saleId, bookingItems.saleId)).where(eq(bookingItems.bookingId, b.id)).orderBy(asc(tickets.id));
  await publishBookingRow(ctx, tx, b, list);
}

/** publishBooking for a booking and its tickets (by id) the caller holds already. */
async function publishBookingRow(ctx: CloudContext, tx: Tx, b: Booking, list: readonly { id: string; code: string; typeId: number; persons: number }[]): Promise<void> {
  if (!['issued', 'picked_up', 'cancelled'].includes(b.state)) return;
  const tz = ctx.config.timeZone;
  if (b.visitDay < businessDay(ctx.now(), tz)) return;
  const row: BookingRow = {
    orderNo: b.orderNo, pickupCode: b.pickupCode, visitDay: b.visitDay,
    validUntil: Math.floor(startOfBusinessDay(addDays(b.visitDay, 1), tz) / 1000),
    state: b.state as BookingRow['state'], phoneHash: b.phoneHash, phoneLast4: b.phoneLast4, idHash: b.idHash,
    contactName: b.contactName, tickets: list.map((t) => ({ id: t.id, code: t.code, typeId: t.typeId, persons: t.persons })),
  };
  await appendChanges(tx, b.site, [{ kind: 'booking', booking: row }]);
}

export async function getBooking(ctx: CloudContext, ch: Channel, orderNo: string): Promise<BookingView> {
  const [b] = await ctx.db.select({ id: bookings.id }).from(bookings).where(and(eq(bookings.orderNo, orderNo), eq(bookings.channelId, ch.id)));
  if (!b) throw notFound('booking', orderNo);
  return bookingView(ctx.db, ch, b.id);
}

/** A booking as the API shows it, with its tickets once issued. */
export async function bookingView(tx: Tx | Db, ch: Pick<Channel, 'code'> | undefined, bookingId: string): Promise<BookingView> {
  // The slot in the same read (a left join): one round trip less per answer at peak.
  const [b] = await tx.select({ b: bookings, channel: channels.code, slotFrom: timeSlots.slotFrom, slotTo: timeSlots.slotTo }).from(bookings)
    .innerJoin(channels, eq(channels.id, bookings.channelId))
    .leftJoin(bookingSlots, eq(bookingSlots.bookingId, bookings.id)).leftJoin(timeSlots, eq(timeSlots.id, bookingSlots.slotId))
    .where(eq(bookings.id, bookingId));
  if (!b) throw notFound('booking', bookingId);
  const items = await tx.select({ type: ticketTypes.code, quantity: bookingItems.quantity, unitPriceFen: bookingItems.unitPriceFen })
    .from(bookingItems).innerJoin(ticketTypes, eq(ticketTypes.id, bookingItems.typeId)).where(eq(bookingItems.bookingId, bookingId)).orderBy(asc(ticketTypes.id));
  // Tickets exist once paid: a booking still held (or let go unpaid) has none to look up.
  const unpaid = b.b.state === 'booked' || (b.b.state === 'expired' && !b.b.paidAt);
  const list = unpaid ? [] : await tx.select({ t: tickets, type: ticketTypes.code }).from(bookingItems)
    .innerJoin(tickets, eq(tickets.saleId, bookingItems.saleId)).innerJoin(ticketTypes, eq(ticketTypes.id, tickets.typeId))
    .where(eq(bookingItems.bookingId, bookingId)).orderBy(asc(tickets.id));
  return {
    ...viewOf(b.b, ch?.code ?? b.channel, b.slotFrom && b.slotTo ? { from: b.slotFrom, to: b.slotTo } : null, items),
    tickets: list.map(({ t, type }) => ({
      id: t.id, type, code: t.code, persons: t.persons, validFrom: t.validFrom.toISOString(), validUntil: t.validUntil.toISOString(), revoked: t.revokedReason,
    })),
  };
}

/** A booking row as the API shows it, its tickets aside (bookingView, and the answers built from what a write made). */
function viewOf(x: Booking, channel: string, slot: BookingView['slot'], items: BookingView['items']): Omit<BookingView, 'tickets'> {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    orderNo: x.orderNo, channel, externalRef: x.externalRef, site: x.site, visitDay: x.visitDay,
    state: x.state as BookingView['state'], contact: { name: x.contactName, phoneLast4: x.phoneLast4 }, slot,
    items, quantity: x.quantity, totalFen: x.totalFen, pickupCode: x.pickupCode,
    holdUntil: x.state === 'booked' ? x.holdUntil.toISOString() : null,
    paidAt: iso(x.paidAt), cancelledAt: iso(x.cancelledAt), pickedUpAt: iso(x.pickedUpAt),
  };
}

/** Remaining quota of a channel for a day. */
export async function quotaLeft(ctx: CloudContext, ch: Channel, day: string): Promise<number | null> {
  if (ch.dailyQuota === null) return null;
  const [u] = await ctx.db.select().from(channelDayUsage).where(and(eq(channelDayUsage.channelId, ch.id), eq(channelDayUsage.day, day)));
  return Math.max(ch.dailyQuota - (u?.used ?? 0), 0);
}

/** A channel's bookings for one visit day, optionally in one state (for the office). */
export async function listBookings(ctx: CloudContext, ch: Channel, q: { day: string; state?: string }) {
  if (!isCalendarDay(q.day)) throw new AppError('invalid_day', `not a valid day: ${q.day}`);
  const rows = await ctx.db.select({ id: bookings.id }).from(bookings)
    .where(and(eq(bookings.channelId, ch.id), eq(bookings.visitDay, q.day), q.state ? eq(bookings.state, q.state) : undefined))
    .orderBy(asc(bookings.createdAt)).limit(1000);
  return Promise.all(rows.map((r) => bookingView(ctx.db, ch, r.id)));
}
