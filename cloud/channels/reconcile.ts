import { and, asc, eq, gte, lt, or } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { addDays, startOfBusinessDay } from '../../shared/time/zone.ts';
import type { CloudContext } from '../context.ts';
import { bookings } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import type { Channel } from './admin.ts';
import { isCalendarDay } from '../../shared/time/day.ts';

/**
 * A channel's day for reconciliation with its own statement: what was booked, paid,
 * cancelled (with the refunds of paid bookings) and picked up on the business day in the
 * site's zone, in fen, with each order that moved that day.
 */
export async function reconcile(ctx: CloudContext, ch: Channel, day: string) {
  if (!isCalendarDay(day)) throw new AppError('invalid_day', `not a valid day: ${day}`);
  const tz = ctx.config.timeZone;
  const from = new Date(startOfBusinessDay(day, tz));
  const to = new Date(startOfBusinessDay(addDays(day, 1), tz));
  const within = (col: AnyPgColumn) => and(gte(col, from), lt(col, to));
  const rows = await ctx.db.select().from(bookings)
    .where(and(eq(bookings.channelId, ch.id), or(within(bookings.createdAt), within(bookings.paidAt), within(bookings.cancelledAt), within(bookings.pickedUpAt))))
    .orderBy(asc(bookings.createdAt));
  const on = (d: Date | null) => d !== null && d >= from && d < to;
  const sum = (list: typeof rows) => ({ count: list.length, tickets: list.reduce((n, b) => n + b.quantity, 0), amountFen: list.reduce((n, b) => n + b.totalFen, 0) });
  const booked = rows.filter((b) => on(b.createdAt));
  const paid = rows.filter((b) => on(b.paidAt));
  const cancelled = rows.filter((b) => on(b.cancelledAt));
  const refunds = cancelled.filter((b) => b.paidAt !== null).reduce((n, b) => n + b.totalFen, 0);
  const picked = rows.filter((b) => on(b.pickedUpAt));
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    channel: ch.code, day, timeZone: tz,
    booked: sum(booked),
    paid: sum(paid),
    cancelled: { ...sum(cancelled), refundFen: refunds },
    pickedUp: { count: picked.length, tickets: picked.reduce((n, b) => n + b.quantity, 0) },
    netFen: sum(paid).amountFen - refunds,
    orders: rows.map((b) => ({
      orderNo: b.orderNo, externalRef: b.externalRef, state: b.state, visitDay: b.visitDay, quantity: b.quantity, totalFen: b.totalFen,
      paymentRef: b.paymentRef, createdAt: b.createdAt.toISOString(), paidAt: iso(b.paidAt), cancelledAt: iso(b.cancelledAt), pickedUpAt: iso(b.pickedUpAt),
    })),
  };
}
