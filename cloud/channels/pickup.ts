import { and, eq, gte, inArray, or } from 'drizzle-orm';
import { z } from 'zod';
import { lookupHash, normaliseLookup, PHONE } from '../../shared/booking/lookup.ts';
import { businessDay } from '../../shared/time/zone.ts';
import type { CloudContext } from '../context.ts';
import { bookingItems, bookingPickups, bookings, tickets } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import type { Tx } from '../tickets/issue.ts';
import { bookingView, publishBooking } from './bookings.ts';

const ident = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const lookupQuery = z.object({
  order: z.string().min(1).max(40).optional(),
  phone: z.string().min(4).max(20).optional(),
  id: z.string().min(15).max(20).optional(),
  code: z.string().min(1).max(400).optional(),
}).strict().refine((q) => (q.order && q.phone) || q.id || q.code || (q.phone && !q.order), {
  message: 'give order and phone, or phone, or id, or code',
});

/**
 * Finds bookings to hand out at a window: by order number and phone, by phone alone (today
 * and later), by ID number, or by the booking's QR (its pickup code, or one of its ticket codes).
 */
export async function lookupBookings(ctx: CloudContext, q: z.infer<typeof lookupQuery>) {
  const today = businessDay(ctx.now(), ctx.config.timeZone);
  let where;
  if (q.code) {
    const code = q.code.trim();
    const byTicket = await ctx.db.select({ id: bookingItems.bookingId }).from(tickets)
      .innerJoin(bookingItems, eq(bookingItems.saleId, tickets.saleId)).where(eq(tickets.code, code));
    where = byTicket.length ? or(eq(bookings.pickupCode, code), inArray(bookings.id, byTicket.map((b) => b.id))) : eq(bookings.pickupCode, code);
  } else if (q.id) {
    const id = normaliseLookup('id', q.id);
    where = and(eq(bookings.idHash, lookupHash('id', id)), gte(bookings.visitDay, today));
  } else {
    const phone = normaliseLookup('phone', q.phone!);
    if (!PHONE.test(phone)) throw new AppError('invalid_phone', '手机号无效 / not a valid mobile number', 422);
    where = q.order
      ? and(eq(bookings.orderNo, q.order), eq(bookings.phoneHash, lookupHash('phone', phone)))
      : and(eq(bookings.phoneHash, lookupHash('phone', phone)), gte(bookings.visitDay, today));
  }
  const rows = await ctx.db.select({ id: bookings.id }).from(bookings).where(where).limit(20);
  return Promise.all(rows.map((r) => bookingView(ctx.db, undefined, r.id)));
}

export const pickupRequest = z.object({
  /** Made by the window or device once per pickup: a retry with it changes nothing. */
  pickupId: z.string().regex(/^[A-Za-z0-9_.:-]{8,80}$/, '8-80 letters, digits or . _ : -'),
  orderNo: z.string().min(1).max(40),
  device: ident,
  site: ident.optional(),
  /** When it happened (UTC ms), for pickups made offline. */
  at: z.number().int().positive().optional(),
}).strict();
export type PickupRequest = z.infer<typeof pickupRequest>;

export type PickupResult = 'picked_up' | 'duplicate' | 'cancelled' | 'not_paid' | 'unknown_booking' | 'wrong_site';

/**
 * Marks a booking picked up. Idempotent on the pickup id. A second pickup of the same
 * booking with another id (two kiosks offline, or a kiosk and a window) is kept, flagged
 * `duplicate`, never lost; so is a pickup of a booking cancelled meanwhile.
 */
export async function recordPickup(ctx: CloudContext, p: PickupRequest, opts: { offline: boolean; strict: boolean }): Promise<{ pickupId: string; result: PickupResult; orderNo: string }> {
  const seen = await priorPickup(ctx.db, p);
  if (seen) return seen;
  const out = await ctx.db.transaction((tx) => pickupIn(tx, ctx, p, opts));
  if (out.site) ctx.notify(out.site);
  return { pickupId: out.pickupId, orderNo: out.orderNo, result: out.result };
}

/** A pickup recorded before under this id, as it was decided then. */
async function priorPickup(tx: Tx | CloudContext['db'], p: PickupRequest) {
  const [prior] = await tx.select({ p: bookingPickups, orderNo: bookings.orderNo }).from(bookingPickups)
    .innerJoin(bookings, eq(bookings.id, bookingPickups.bookingId)).where(eq(bookingPickups.pickupId, p.pickupId));
  if (!prior) return undefined;
  if (prior.orderNo !== p.orderNo) throw new AppError('pickup_id_reused', `pickup id ${p.pickupId} was used for another booking`, 409);
  const flag = prior.p.flag;
  return { pickupId: p.pickupId, orderNo: p.orderNo, result: (flag === null ? 'picked_up' : flag) as PickupResult };
}

/**
 * recordPickup inside the caller's transaction (a site hub's journal entry is recorded with
 * its number in one transaction: cloud/hub-sales). `site`: the site to notify, when the
 * booking changed.
 */
export async function pickupIn(tx: Tx, ctx: CloudContext, p: PickupRequest, opts: { offline: boolean; strict: boolean }): Promise<{ pickupId: string; orderNo: string; result: PickupResult; site: string | undefined }> {
  const now = ctx.now();
  const [b] = await tx.select().from(bookings).where(eq(bookings.orderNo, p.orderNo)).for('update');
  if (!b) {
    if (opts.strict) throw new AppError('not_found', `booking not found: ${p.orderNo}`, 404);
    return { pickupId: p.pickupId, orderNo: p.orderNo, result: 'unknown_booking' as const, site: undefined };
  }
  const again = await priorPickup(tx, p);
  if (again) return { ...again, site: undefined };
  if (p.site && p.site !== b.site) {
    if (opts.strict) throw new AppError('wrong_site', `booking ${p.orderNo} is for site ${b.site}`, 409);
    return { pickupId: p.pickupId, orderNo: p.orderNo, result: 'wrong_site' as const, site: undefined };
  }
  let flag: 'duplicate' | 'cancelled' | 'not_paid' | null = null;
  if (b.state === 'picked_up') flag = 'duplicate';
  else if (b.state === 'cancelled') flag = 'cancelled';
  else if (b.state !== 'issued') flag = 'not_paid';
  if (opts.strict && flag) {
    const msg = { duplicate: '已取票 / tickets already picked up', cancelled: '订单已取消 / the booking was cancelled', not_paid: '订单未付款 / the booking is not paid' }[flag];
    throw new AppError(flag === 'duplicate' ? 'already_picked_up' : flag === 'cancelled' ? 'booking_cancelled' : 'not_paid', msg, 409);
  }
  const at = new Date(p.at ?? now);
  await tx.insert(bookingPickups).values({ pickupId: p.pickupId, bookingId: b.id, site: b.site, device: p.device, at, offline: opts.offline, flag, receivedAt: new Date(now) });
  if (flag === null) {
    await tx.update(bookings).set({ state: 'picked_up', pickedUpAt: at }).where(eq(bookings.id, b.id));
    await publishBooking(ctx, tx, b.id);
  } else {
    ctx.log.warn({ orderNo: b.orderNo, pickupId: p.pickupId, device: p.device, flag }, 'pickup flagged');
  }
  return { pickupId: p.pickupId, orderNo: p.orderNo, result: (flag ?? 'picked_up') as PickupResult, site: flag === null ? b.site : undefined };
}

/** A window pickup: the booking with its tickets to print. */
export async function windowPickup(ctx: CloudContext, p: PickupRequest) {
  const r = await recordPickup(ctx, p, { offline: false, strict: true });
  const [b] = await ctx.db.select({ id: bookings.id }).from(bookings).where(eq(bookings.orderNo, r.orderNo));
  return { ...r, booking: await bookingView(ctx.db, undefined, b!.id) };
}

export const devicePickups = z.object({
  device: ident,
  pickups: z.array(pickupRequest.omit({ device: true })).min(1).max(500),
}).strict();

/**
 * Pickups a kiosk made from its cache, posted when it reaches HQ again. Each is recorded once.
 * A device signed in with its own credentials speaks only for itself and its own site.
 */
export async function recordDevicePickups(ctx: CloudContext, body: z.infer<typeof devicePickups>, device?: { role: string; site: string; device: string }) {
  if (device && device.role !== 'hq' && device.device !== body.device) {
    throw new AppError('wrong_device', `signed in as ${device.device}, not ${body.device}`, 403);
  }
  const site = device && device.role !== 'hq' ? device.site : undefined;
  const results: ({ pickupId: string; orderNo: string; result: PickupResult } | { pickupId: string; orderNo: string; result: 'rejected'; error: { code: string; message: string } })[] = [];
  for (const p of body.pickups) {
    // One bad item (a pickup id reused for another booking) must not hold back the rest:
    // the device would resend the batch forever.
    try {
      results.push(await recordPickup(ctx, { ...p, site: site ?? p.site, device: body.device }, { offline: true, strict: false }));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      results.push({ pickupId: p.pickupId, orderNo: p.orderNo, result: 'rejected', error: { code: err.code, message: err.message } });
    }
  }
  return { results };
}

/** Pickups flagged for follow-up: duplicates and pickups of cancelled bookings. */
export async function flaggedPickups(ctx: CloudContext) {
  const rows = await ctx.db.select({ p: bookingPickups, orderNo: bookings.orderNo }).from(bookingPickups)
    .innerJoin(bookings, eq(bookings.id, bookingPickups.bookingId));
  return rows.filter((r) => r.p.flag !== null).map((r) => ({ ...r.p, orderNo: r.orderNo, at: r.p.at.toISOString(), receivedAt: r.p.receivedAt.toISOString() }));
}
