import { createHmac, randomBytes } from 'node:crypto';
import { and, asc, desc, eq, inArray, lte, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import { Repeat } from '../../shared/time/repeat.ts';
import type { CloudContext } from '../context.ts';
import type { Db } from '../db/open.ts';
import { bookingItems, bookings, channelNotices, channels, channelWebhooks, tickets } from '../db/schema/index.ts';
import { notFound } from '../http/errors.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Notices to OTA channels (核销通知): when a booked ticket is first used at a gate, the
 * channel that sold it is told, with the gate's time. Each notice is a row of an outbox
 * written in the same transaction as the entry that caused it, so none is lost; a sender
 * posts it, signed, and retries with backoff (3, 6, 12 ... minutes, at most a day apart)
 * until the channel answers 2xx; the event id lets the channel take it once however often
 * it arrives.
 *
 * Signature: `X-Notice-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`,
 * with `X-Notice-Timestamp` (unix ms) and `X-Notice-Id` (the event id, also in the body).
 */
export const webhookRequest = z.strictObject({
  url: z.string().url().max(500).refine((u) => /^https?:\/\//.test(u), 'http(s) URL'),
  /** Omit to have HQ make one (returned once). */
  secret: z.string().min(16).max(200).optional(),
});

export const noticeView = z.object({
  id: z.string(), kind: z.string(), subject: z.string(), state: z.enum(['pending', 'delivered', 'failed']), attempts: z.number().int(),
  nextAt: z.string().nullable(), lastStatus: z.number().int().nullable(), lastError: z.string().nullable(),
  createdAt: z.string(), deliveredAt: z.string().nullable(), body: z.record(z.string(), z.unknown()),
}).meta({ id: 'ChannelNotice' });

export function signNotice(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

async function channelByCode(db: Db, code: string) {
  const [ch] = await db.select().from(channels).where(eq(channels.code, code));
  if (!ch) throw notFound('channel', code);
  return ch;
}

export const webhookView = z.object({ channel: z.string(), url: z.string().nullable(), updatedAt: z.string().nullable() });

/** Where a channel's notices go (not its secret). */
export async function getWebhook(ctx: CloudContext, code: string): Promise<z.infer<typeof webhookView>> {
  const ch = await channelByCode(ctx.db, code);
  const [hook] = await ctx.db.select().from(channelWebhooks).where(eq(channelWebhooks.channelId, ch.id));
  return { channel: code, url: hook?.url ?? null, updatedAt: hook ? hook.updatedAt.toISOString() : null };
}

export async function setWebhook(ctx: CloudContext, code: string, req: z.infer<typeof webhookRequest>) {
  const ch = await channelByCode(ctx.db, code);
  const secret = req.secret ?? randomBytes(24).toString('base64url');
  const values = { channelId: ch.id, url: req.url, secret, updatedAt: new Date(ctx.now()) };
  await ctx.db.insert(channelWebhooks).values(values).onConflictDoUpdate({ target: channelWebhooks.channelId, set: values });
  return { channel: code, url: req.url, ...(req.secret ? {} : { secret }) };
}

/** The booking a notice is about, as its channel knows it. */
interface Told { channelId: number; orderNo: string; externalRef: string | null }

/** Inserts notices of one kind, one per subject however often queued; how many are new. */
async function insertNotices(tx: Tx | Db, kind: string, list: readonly { to: Told; subject: string; body: Record<string, unknown> }[], now: Date): Promise<number> {
  if (list.length === 0) return 0;
  const made = await tx.insert(channelNotices).values(list.map((n) => {
    const id = uuidv7();
    return { id, channelId: n.to.channelId, kind, subject: n.subject, nextAt: now, createdAt: now, body: { eventId: id, ...n.body, orderNo: n.to.orderNo, externalRef: n.to.externalRef } };
  })).onConflictDoNothing().returning({ id: channelNotices.id });
  return made.length;
}

/** One array parameter, not one per id: a batch of entries names ~150 tickets (cloud/entries/ingest.ts). */
const anyUuid = (ids: Iterable<string>) => sql`any(${`{${[...new Set(ids)].join(',')}}`}::uuid[])`;

/** Notices about booked tickets, to the channels (with a webhook) that sold them; other tickets are passed over. */
async function queueForTickets(tx: Tx, kind: string, list: readonly { ticketId: string; body: Record<string, unknown> }[], now: Date): Promise<number> {
  if (list.length === 0) return 0;
  const rows = await tx.select({ ticketId: tickets.id, channelId: bookings.channelId, orderNo: bookings.orderNo, externalRef: bookings.externalRef })
    .from(tickets).innerJoin(bookingItems, eq(bookingItems.saleId, tickets.saleId)).innerJoin(bookings, eq(bookings.id, bookingItems.bookingId))
    .innerJoin(channelWebhooks, eq(channelWebhooks.channelId, bookings.channelId))
    .where(sql`${tickets.id} = ${anyUuid(list.map((n) => n.ticketId))}`);
  const to = new Map(rows.map((r) => [r.ticketId, r]));
  return insertNotices(tx, kind, list.flatMap((n) => (to.has(n.ticketId) ? [{ to: to.get(n.ticketId)!, subject: n.ticketId, body: n.body }] : [])), now);
}

/** Notices about bookings, to their channels (with a webhook). */
async function queueForBookings(tx: Tx | Db, kind: string, list: readonly { bookingId: string; body: Record<string, unknown> }[], now: Date): Promise<number> {
  if (list.length === 0) return 0;
  const rows = await tx.select({ id: bookings.id, channelId: bookings.channelId, orderNo: bookings.orderNo, externalRef: bookings.externalRef })
    .from(bookings).innerJoin(channelWebhooks, eq(channelWebhooks.channelId, bookings.channelId))
    .where(sql`${bookings.id} = ${anyUuid(list.map((n) => n.bookingId))}`);
  const to = new Map(rows.map((r) => [r.id, r]));
  return insertNotices(tx, kind, list.flatMap((n) => (to.has(n.bookingId) ? [{ to: to.get(n.bookingId)!, subject: n.bookingId, body: n.body }] : [])), now);
}

/**
 * Queues redemption notices for the first entries of booked tickets, in the ingest's
 * transaction. A ticket is redeemed once: a second entry, or the same entry uploaded again,
 * adds nothing (unique on kind and ticket). Only channels with a webhook are told.
 */
export async function queueRedemptions(tx: Tx, site: string, list: readonly { ticketId: string; at: number; lane: string; device: string; persons: number }[], now: Date): Promise<number> {
  const first = new Map<string, (typeof list)[number]>();
  for (const e of [...list].sort((a, b) => a.at - b.at)) if (!first.has(e.ticketId)) first.set(e.ticketId, e);
  return queueForTickets(tx, 'redeemed', [...first.values()].map((e) => ({
    ticketId: e.ticketId,
    body: { event: 'ticket.redeemed', ticketId: e.ticketId, site, lane: e.lane, device: e.device, persons: e.persons, usedAt: new Date(e.at).toISOString() },
  })), now);
}

/** The channel is told its booking was cancelled (in the cancel's transaction), with what it refunds. */
export function queueCancellation(tx: Tx, b: { id: string; state: string; totalFen: number }, reason: string | null, now: Date): Promise<number> {
  return queueForBookings(tx, 'cancelled', [{
    bookingId: b.id,
    body: { event: 'booking.cancelled', refundFen: b.state === 'issued' ? b.totalFen : 0, reason, cancelledAt: now.toISOString() },
  }], now);
}

/**
 * Booked tickets refunded other than by the channel's own cancel (at a window, by the office,
 * at a site): the channel that sold them is told, per ticket, in the refund's transaction, so
 * it can settle with its visitor.
 */
export function queueTicketRefunds(tx: Tx, list: readonly { id: string; priceFen: number }[], refundId: string, at: number): Promise<number> {
  return queueForTickets(tx, 'refunded', list.map((t) => ({
    ticketId: t.id, body: { event: 'ticket.refunded', ticketId: t.id, priceFen: t.priceFen, refundId, refundedAt: new Date(at).toISOString() },
  })), new Date(at));
}

/**
 * No-shows (未到): paid bookings of the last 30 visit days none of whose tickets was used and
 * none still valid. Queued once per booking, by the channel watch (./calendar.ts).
 */
export async function queueNoShows(db: Db, now: number, since: string): Promise<number> {
  const at = new Date(now);
  const due = await db.execute(sql`
    select b.id, b.visit_day as "visitDay", b.quantity, b.channel_id as "channelId", b.order_no as "orderNo", b.external_ref as "externalRef" from bookings b
    join channel_webhooks w on w.channel_id = b.channel_id
    where b.state in ('issued', 'picked_up') and b.visit_day >= ${since}
      and not exists (select 1 from channel_notices n where n.kind = 'no_show' and n.subject = b.id::text)
      and not exists (select 1 from booking_items bi join tickets t on t.sale_id = bi.sale_id where bi.booking_id = b.id and t.valid_until > ${at.toISOString()}::timestamptz)
      and not exists (select 1 from booking_items bi join tickets t on t.sale_id = bi.sale_id join entries e on e.ticket_id = t.id where bi.booking_id = b.id)
    limit 500`) as unknown as { rows: (Told & { id: string; visitDay: string; quantity: number })[] };
  return insertNotices(db, 'no_show', due.rows.map((r) => ({
    to: { channelId: Number(r.channelId), orderNo: r.orderNo, externalRef: r.externalRef }, subject: r.id,
    body: { event: 'booking.no_show', visitDay: r.visitDay, quantity: Number(r.quantity) },
  })), at);
}

/** Backoff after the n-th failed attempt: base, 2 base, 4 base ... at most a day. */
export function retryDelayMs(attempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), 86_400_000);
}

export interface NoticeSenderOptions {
  db: Db;
  log: Logger;
  now: () => number;
  /** First retry after this long (default 3 minutes). */
  retryBaseMs: number;
  /** How often the outbox is looked at. */
  intervalMs: number;
  /** Give up (state failed) once a notice is this old; a manual retry sends it again. */
  giveUpAfterMs?: number;
  /** At most this many calls a minute to one channel from this node (Ctrip takes < 100); more wait for the next minute. */
  perMinute?: number;
  fetch?: typeof fetch;
}

/**
 * Posts due notices. Rows are claimed by pushing their next attempt ahead before sending, so
 * several HQ nodes never send one notice at once; a node that dies mid-send leaves it due
 * again after the claim runs out. At-least-once: the channel dedupes on the event id.
 */
export class NoticeSender {
  /** Per channel, when this node's calls of the last minute were made. */
  private readonly calls = new Map<number, number[]>();
  private readonly repeat: Repeat;

  constructor(private readonly o: NoticeSenderOptions) {
    this.repeat = new Repeat(() => this.runOnce(), o.intervalMs, (err) => o.log.warn({ err: err.message }, 'channel notices: run failed'));
  }

  start(): void {
    this.repeat.start();
  }

  stop(): Promise<void> {
    return this.repeat.stop();
  }

  /** Sends what is due now (also on the timer); resolves when done. */
  async runOnce(): Promise<number> {
    const { db, now } = this.o;
    const at = new Date(now());
    const claimUntil = new Date(now() + 60_000);
    const due = await db.update(channelNotices).set({ nextAt: claimUntil })
      .where(inArray(channelNotices.id, db.select({ id: channelNotices.id }).from(channelNotices)
        .where(and(eq(channelNotices.state, 'pending'), lte(channelNotices.nextAt, at))).orderBy(asc(channelNotices.nextAt)).limit(20)))
      .returning();
    let sent = 0;
    for (const n of due) {
      const t = now();
      const calls = (this.calls.get(n.channelId) ?? []).filter((c) => c > t - 60_000);
      this.calls.set(n.channelId, calls);
      if (this.o.perMinute !== undefined && calls.length >= this.o.perMinute) {
        // Over the channel's rate: due again when the oldest call of the minute is a minute old (no attempt counted).
        await db.update(channelNotices).set({ nextAt: new Date(calls[0]! + 60_000) }).where(eq(channelNotices.id, n.id));
        continue;
      }
      calls.push(t);
      if (await this.send(n)) sent++;
    }
    return sent;
  }

  private async send(n: typeof channelNotices.$inferSelect): Promise<boolean> {
    const { db, log } = this.o;
    const [hook] = await db.select().from(channelWebhooks).where(eq(channelWebhooks.channelId, n.channelId));
    const attempts = n.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    if (!hook) error = 'no webhook';
    else {
      const body = JSON.stringify(n.body);
      const ts = this.o.now();
      try {
        const res = await (this.o.fetch ?? fetch)(hook.url, {
          method: 'POST', body, signal: AbortSignal.timeout(10_000),
          headers: { 'content-type': 'application/json', 'x-notice-id': n.id, 'x-notice-timestamp': String(ts), 'x-notice-signature': signNotice(hook.secret, ts, body) },
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          await db.update(channelNotices).set({ state: 'delivered', attempts, lastStatus: status, lastError: null, deliveredAt: new Date(this.o.now()) }).where(eq(channelNotices.id, n.id));
          return true;
        }
        error = `HTTP ${status}`;
      } catch (err) {
        error = (err as Error).message.slice(0, 200);
      }
    }
    const age = this.o.now() - n.createdAt.getTime();
    const giveUp = age >= (this.o.giveUpAfterMs ?? 86_400_000);
    log.warn({ notice: n.id, attempts, error, giveUp }, 'channel notice not delivered');
    await db.update(channelNotices).set({
      attempts, lastStatus: status, lastError: error, state: giveUp ? 'failed' : 'pending',
      nextAt: new Date(this.o.now() + retryDelayMs(attempts, this.o.retryBaseMs)),
    }).where(eq(channelNotices.id, n.id));
    return false;
  }
}

/** A channel's delivery log, newest first. */
export async function listNotices(ctx: CloudContext, code: string, q: { state?: string; limit?: number }) {
  const ch = await channelByCode(ctx.db, code);
  const rows = await ctx.db.select().from(channelNotices)
    .where(and(eq(channelNotices.channelId, ch.id), q.state ? eq(channelNotices.state, q.state) : undefined))
    .orderBy(desc(channelNotices.createdAt)).limit(q.limit ?? 100);
  return rows.map(view);
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const view = (n: typeof channelNotices.$inferSelect): z.infer<typeof noticeView> => ({
  id: n.id, kind: n.kind, subject: n.subject, state: n.state as 'pending', attempts: n.attempts,
  nextAt: n.state === 'pending' ? n.nextAt.toISOString() : null, lastStatus: n.lastStatus, lastError: n.lastError,
  createdAt: n.createdAt.toISOString(), deliveredAt: iso(n.deliveredAt), body: n.body,
});

/** Manual retry from the delivery log: due now, whatever its state (a delivered one is sent again, same event id). */
export async function retryNotice(ctx: CloudContext, code: string, id: string) {
  const ch = await channelByCode(ctx.db, code);
  const [n] = await ctx.db.update(channelNotices).set({ state: 'pending', nextAt: new Date(ctx.now()) })
    .where(and(eq(channelNotices.id, id), eq(channelNotices.channelId, ch.id))).returning();
  if (!n) throw notFound('notice', id);
  return view(n);
}
