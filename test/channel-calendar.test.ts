import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eq } from 'drizzle-orm';
import { queueCalendarChanges } from '../cloud/channels/calendar.ts';
import { NoticeSender, queueNoShows } from '../cloud/channels/notices.ts';
import { channelNotices, sales, tickets } from '../cloud/db/schema/index.ts';
import { silentLogger } from '../shared/log/logger.ts';
import { addDays, DEFAULT_TZ } from '../shared/time/zone.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { bookingChannel, today } from './support/channel.ts';
import { noticeReceiver } from './support/notices.ts';

/**
 * Calendar price and stock pushed to a channel (cloud/channels/calendar.ts): every day it may
 * sell, its prices, quota and slots' places left, sent signed to its webhook (a server on
 * loopback here); a booking re-sends only the day it changed, a price change every day; and a
 * channel is called at most `perMinute` times a minute.
 */
const SECRET = 'calendar-secret-0123456789';

async function receiver() {
  const rx = await noticeReceiver(SECRET);
  return {
    ...rx,
    /** The newest calendar received for a day. */
    day: (d: string) => rx.events.filter((e) => e.body.event === 'calendar.changed' && e.body.calendar.day === d).at(-1)?.body.calendar,
  };
}

test('each day the channel may sell is pushed with its prices and slots; a booking re-sends its day only, a price change every day', async () => {
  const cloud = await startTestCloud({ noticeIntervalMs: 50, calendarIntervalMs: 200, noticePerMinute: 1000 });
  const rx = await receiver();
  try {
    const ch = await bookingChannel(cloud.url, 'ctrip');
    const tomorrow = addDays(today(), 1);
    assert.is((await api(cloud.url, '/api/v1/slots/demo/main', { body: { fromDay: tomorrow, toDay: tomorrow, start: '08:00', end: '12:00', everyMinutes: 120, quota: 100, walkIn: 20 } })).status, 200);
    assert.is((await api(cloud.url, '/api/v1/channels/admin/ctrip', { method: 'PATCH', body: { dailyQuota: 50 } })).status, 200);
    assert.is((await api(cloud.url, '/api/v1/channels/admin/ctrip/webhook', { method: 'PUT', body: { url: rx.url, secret: SECRET } })).status, 200);

    // Today and the 60 days ahead the channel may book (its maxDaysAhead).
    await waitFor('every day pushed', () => new Set(rx.events.map((e) => e.body.calendar.day)).size === 61, 20_000);
    assert.is(rx.badSignatures(), 0);
    const first = rx.day(tomorrow);
    assert.equal(first, {
      day: tomorrow, quota: 50, remaining: 50,
      products: [{ type: 'adult', priceFen: 10000 }, { type: 'child', priceFen: 5000 }],
      slots: [{ venue: 'main', from: '08:00', to: '10:00', remaining: 80 }, { venue: 'main', from: '10:00', to: '12:00', remaining: 80 }],
    });
    assert.equal(rx.day(today()).slots, []);
    const [event] = rx.events.filter((e) => e.body.calendar.day === tomorrow);
    assert.is(event!.body.channel, 'ctrip');
    assert.is(event!.body.eventId, event!.id);

    // A booking of 2 in the 08:00 slot: that day is sent again, no other.
    const sent = rx.events.length;
    const b = await fetch(`${cloud.url}/api/v1/channels/bookings`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': ch.key, 'Idempotency-Key': 'cal-1' },
      body: JSON.stringify({ visitDay: tomorrow, slot: '08:00', items: [{ type: 'adult', quantity: 2 }], contact: { name: '游客', phone: '13900000000' } }),
    });
    assert.is(b.status, 201, await b.text());
    await waitFor('the day sent again', () => rx.day(tomorrow).slots[0].remaining === 78, 10_000);
    assert.is(rx.day(tomorrow).remaining, 48, 'the channel\'s quota left');
    await new Promise((r) => setTimeout(r, 600)); // three more looks find nothing else changed
    assert.equal(rx.events.slice(sent).map((e) => e.body.calendar.day), [tomorrow]);

    // A price: every day again, with it.
    assert.is((await api(cloud.url, '/api/v1/channels/admin/ctrip/prices', { method: 'PUT', body: { prices: [{ type: 'adult', priceFen: 9000 }, { type: 'child', priceFen: 5000 }] } })).status, 200);
    await waitFor('every day with the new price', () => rx.events.filter((e) => e.body.calendar.products[0].priceFen === 9000).length === 61, 20_000);
    assert.equal(rx.day(tomorrow).slots.map((s: any) => s.remaining), [78, 80]);

    // The delivery log shows one row per day, the newest calendar, delivered.
    const log = (await api(cloud.url, '/api/v1/channels/admin/ctrip/notices?limit=200')).body.items.filter((n: any) => n.kind === 'calendar');
    assert.is(log.length, 61);
    assert.ok(log.every((n: any) => n.state === 'delivered' && n.body.calendar.products[0].priceFen === 9000));
  } finally {
    await cloud.cleanup();
    await rx.close();
  }
});

test('a channel is called at most perMinute times a minute: the rest wait for the next minute, no attempt counted', async () => {
  // HQ's own sender and pusher look once at start and then not for 10 minutes; this test drives its own with a clock.
  const cloud = await startTestCloud({ noticeIntervalMs: 600_000, calendarIntervalMs: 3_600_000 });
  const rx = await receiver();
  try {
    await bookingChannel(cloud.url, 'ctrip');
    assert.is((await api(cloud.url, '/api/v1/channels/admin/ctrip/webhook', { method: 'PUT', body: { url: rx.url, secret: SECRET } })).status, 200);
    const db = cloud.ctx!.db;
    let clock = Date.now();
    assert.is(await queueCalendarChanges(db, clock, DEFAULT_TZ, { days: 5 }), 5);
    assert.is(await queueCalendarChanges(db, clock, DEFAULT_TZ, { days: 5 }), 0, 'nothing changed: nothing queued');
    const sender = new NoticeSender({ db, log: silentLogger, now: () => clock, retryBaseMs: 60_000, intervalMs: 600_000, perMinute: 2 });
    assert.is(await sender.runOnce(), 2);
    clock += 30_000;
    assert.is(await sender.runOnce(), 0, 'still the same minute');
    clock += 30_001;
    assert.is(await sender.runOnce(), 2);
    clock += 60_001;
    assert.is(await sender.runOnce(), 1);
    assert.is(rx.events.length, 5);
    const rows = await db.select().from(channelNotices).where(eq(channelNotices.kind, 'calendar'));
    assert.equal(rows.map((r) => [r.state, r.attempts]), rows.map(() => ['delivered', 1]));
  } finally {
    await cloud.cleanup();
    await rx.close();
  }
});

test('the channel is told of a cancel (what it refunds), a ticket refunded at HQ, and a paid booking nobody came for', async () => {
  const cloud = await startTestCloud({ noticeIntervalMs: 50, calendarIntervalMs: 3_600_000 });
  const rx = await receiver();
  try {
    const ch = await bookingChannel(cloud.url, 'ctrip');
    assert.is((await api(cloud.url, '/api/v1/channels/admin/ctrip/webhook', { method: 'PUT', body: { url: rx.url, secret: SECRET } })).status, 200);
    const of = (event: string) => rx.events.filter((e) => e.body.event === event).map((e) => e.body);

    // Cancelled by the channel: told once, with the refund.
    const a = await ch.book({ name: '张三', phone: '13800138000' }, [{ type: 'adult', quantity: 2 }], addDays(today(), 1));
    const cancel = (await fetch(`${cloud.url}/api/v1/channels/bookings/${a.orderNo}/cancel`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': ch.key, 'Idempotency-Key': 'cancel-a' }, body: JSON.stringify({ reason: '行程变更' }),
    }));
    assert.is(cancel.status, 200, await cancel.text());
    await waitFor('the cancel told', () => of('booking.cancelled').length === 1, 10_000);
    assert.equal(pick(of('booking.cancelled')[0], ['orderNo', 'refundFen', 'reason']), { orderNo: a.orderNo, refundFen: 20000, reason: '行程变更' });
    assert.is(of('ticket.refunded').length, 0, 'a channel\'s own cancel is told as a cancel only');

    // One ticket of another booking refunded by the office.
    const b = await ch.book({ name: '李四', phone: '13800138001' }, [{ type: 'adult', quantity: 2 }], addDays(today(), 1));
    const t = b.tickets[0]!;
    const [sale] = await cloud.ctx!.db.select({ orderId: sales.orderId }).from(tickets).innerJoin(sales, eq(sales.id, tickets.saleId)).where(eq(tickets.id, t.id));
    const r = await api(cloud.url, `/api/v1/orders/${sale!.orderId}/refunds`, { headers: { 'Idempotency-Key': 'refund-b' }, body: { tickets: [t.id], method: 'channel', reason: '游客窗口退票' } });
    assert.is(r.status, 201, JSON.stringify(r.body));
    await waitFor('the refund told', () => of('ticket.refunded').length === 1, 10_000);
    assert.equal(pick(of('ticket.refunded')[0], ['orderNo', 'ticketId', 'priceFen']), { orderNo: b.orderNo, ticketId: t.id, priceFen: 10000 });

    // Nobody came: once every ticket's validity has passed, told once.
    const c = await ch.book({ name: '王五', phone: '13800138002' }, [{ type: 'adult', quantity: 1 }], today());
    const db = cloud.ctx!.db;
    const since = addDays(today(), -30);
    assert.is(await queueNoShows(db, Date.now(), since), 0, 'still valid today: not a no-show yet');
    const later = Date.now() + 3 * 86_400_000;
    assert.is(await queueNoShows(db, later, since), 2, 'b (one ticket left unused) and c; a was cancelled');
    assert.is(await queueNoShows(db, later, since), 0, 'told once');
    // Sent by a sender on the same clock (HQ's own runs on the real one, where they are not due yet).
    assert.is(await new NoticeSender({ db, log: silentLogger, now: () => later, retryBaseMs: 60_000, intervalMs: 600_000 }).runOnce(), 2);
    assert.equal(of('booking.no_show').map((n) => n.orderNo).sort(), [b.orderNo, c.orderNo].sort());
    assert.is(rx.badSignatures(), 0);
  } finally {
    await cloud.cleanup();
    await rx.close();
  }
});

const pick = (o: Record<string, unknown> | undefined, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o?.[k]]));

test.run();
