import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { businessDay, DEFAULT_TZ } from '../shared/time/zone.ts';
import { bookingChannel, today } from './support/channel.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { startTestGate } from './support/gate.ts';
import { noticeReceiver } from './support/notices.ts';
import { provisionGates } from './support/provision.ts';

const SECRET = 'test-secret-0123456789abcdef';

const receiver = (failures: number) => noticeReceiver(SECRET, failures);

test('redemption notice: delivered once despite the receiver failing twice; delivery log and manual retry', async () => {
  // No calendar pushes (test/channel-calendar.test.ts) among the notices this test counts.
  const cloud = await startTestCloud({ noticeRetryMinutes: 0.002, noticeIntervalMs: 50, calendarIntervalMs: 3_600_000 });
  const rx = await receiver(2);
  await provisionGates(cloud.url, 'demo', [['gate-1', 'lane-1']]);
  const gate = await startTestGate({ device: 'gate-1', lane: 'lane-1', cloudUrl: cloud.url, mqttUrl: `mqtt://127.0.0.1:${cloud.mqttPort}` });
  try {
    const ch = await bookingChannel(cloud.url, 'ctrip');
    assert.is((await api(cloud.url, '/api/v1/channels/admin/ctrip/webhook', { method: 'PUT', body: { url: rx.url, secret: SECRET } })).status, 200);
    const b = await ch.book({ name: '张三', phone: '13800138000' }, [{ type: 'adult', quantity: 1 }]);
    const t = b.tickets[0]!;
    await waitFor('gate has the ticket', () => gate.agent.store.ticket(t.id));
    const d = await gate.agent.present(t.code);
    assert.is(d.admit, true, d.message);
    // A second scan is refused and adds no notice.
    assert.is((await gate.agent.present(t.code)).admit, false);

    await waitFor('the channel took the notice', () => rx.seen.size === 1, 15_000);
    const [event] = [...rx.seen.values()] as Record<string, any>[];
    assert.is(event!.event, 'ticket.redeemed');
    assert.is(event!.orderNo, b.orderNo);
    assert.is(event!.ticketId, t.id);
    assert.is(event!.lane, 'lane-1');
    assert.ok(Math.abs(Date.parse(event!.usedAt) - d.at) < 5000, 'the gate\'s time of the entry');
    assert.equal(rx.log.map((l) => l.status), [503, 503, 200], 'two failures, then delivered');
    assert.is(new Set(rx.log.map((l) => l.id)).size, 1, 'every attempt carries the same event id');
    assert.is(rx.badSignatures(), 0);

    const logView = await waitFor('delivery log says delivered', async () => {
      const items = (await api(cloud.url, '/api/v1/channels/admin/ctrip/notices')).body.items;
      return items.length === 1 && items[0].state === 'delivered' ? items : undefined;
    });
    assert.is(logView[0].attempts, 3);
    assert.is(logView[0].lastStatus, 200);

    // A manual retry sends the same event again; the channel takes it once.
    const again = await api(cloud.url, `/api/v1/channels/admin/ctrip/notices/${logView[0].id}/retry`, { method: 'POST' });
    assert.is(again.status, 200);
    await waitFor('sent again', () => rx.log.length === 4);
    assert.is(rx.seen.size, 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.is(rx.log.length, 4, 'delivered notices are not sent again on their own');
  } finally {
    await gate.cleanup();
    await cloud.cleanup();
    await rx.close();
  }
});

test('time slots: a booking chooses a slot, the quota (less the walk-in share) holds, the gate admits only in its slot', async () => {
  const cloud = await startTestCloud();
  await provisionGates(cloud.url, 'demo', [['gate-1', 'lane-1']]);
  const gate = await startTestGate({ device: 'gate-1', lane: 'lane-1', cloudUrl: cloud.url, mqttUrl: `mqtt://127.0.0.1:${cloud.mqttPort}` });
  try {
    const ch = await bookingChannel(cloud.url, 'meituan');
    const day = today();
    await api(cloud.url, '/api/v1/venue-capacity/demo/main', { method: 'PUT', body: { capacity: null, slotEarlyMinutes: 0, slotLateMinutes: 0 } });
    const made = await api(cloud.url, '/api/v1/slots/demo/main', { body: { fromDay: day, toDay: day, start: '00:00', end: '24:00', everyMinutes: 720, quota: 3, walkIn: 1 } });
    assert.equal(made.body, { days: 1, slots: 2 });
    const noSlot = await fetch(`${cloud.url}/api/v1/channels/bookings`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': ch.key, 'Idempotency-Key': 'no-slot', 'Accept-Language': 'zh-CN' },
      body: JSON.stringify({ visitDay: day, items: [{ type: 'adult', quantity: 1 }], contact: { name: '李四', phone: '13800138001' } }),
    });
    assert.is(noSlot.status, 422);
    const noSlotBody = await noSlot.json() as any;
    assert.is(noSlotBody.error.code, 'slot_required');
    assert.ok(noSlotBody.error.message.includes('请选择入园时段'), noSlotBody.error.message);

    const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: DEFAULT_TZ, hour: '2-digit', hourCycle: 'h23' }).format(Date.now()));
    const [mine, other] = hour < 12 ? ['00:00', '12:00'] : ['12:00', '00:00'];
    const book = (slot: string, key: string) => fetch(`${cloud.url}/api/v1/channels/bookings`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': ch.key, 'Idempotency-Key': key },
      body: JSON.stringify({ visitDay: day, slot, items: [{ type: 'adult', quantity: 1 }], contact: { name: '李四', phone: '13800138001' } }),
    }).then(async (r) => ({ status: r.status, body: await r.json() as any }));
    const pay = (b: any) => fetch(`${cloud.url}/api/v1/channels/bookings/${b.orderNo}/pay`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': ch.key, 'Idempotency-Key': `pay-${b.orderNo}` },
      body: JSON.stringify({ amountFen: b.totalFen, paymentRef: `P-${b.orderNo}` }),
    }).then(async (r) => (await r.json()) as any);
    const a = await book(mine, 'a');
    assert.is(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.body.slot, { from: mine, to: mine === '00:00' ? '12:00' : '24:00' });
    assert.is((await book(mine, 'b')).status, 201);
    // Quota 3 with 1 kept for the windows: the channel's third is refused.
    const c = await book(mine, 'c');
    assert.is(c.status, 409);
    assert.is(c.body.error.code, 'slot_full');
    const o = await book(other, 'o');
    assert.is(o.status, 201);

    const paidMine = await pay(a.body);
    const paidOther = await pay(o.body);
    const tMine = paidMine.tickets[0];
    const tOther = paidOther.tickets[0];
    await waitFor('gate has both tickets and slots', () => gate.agent.store.slot(tMine.id) && gate.agent.store.slot(tOther.id));
    const wrong = await gate.agent.present(tOther.code);
    assert.is(wrong.admit, false);
    assert.is(wrong.reason, hour < 12 ? 'slot_early' : 'slot_late');
    if (hour < 12) assert.is(wrong.message, '请于 12:00-24:00 入园');
    assert.is((await gate.agent.present(tMine.code)).admit, true);

    const slots = (await api(cloud.url, `/api/v1/slots/demo/main?day=${day}`)).body.items;
    assert.equal(slots.map((s: any) => [s.from, s.sold, s.remaining]), mine === '00:00' ? [['00:00', 2, 1], ['12:00', 1, 2]] : [['00:00', 1, 2], ['12:00', 2, 1]]);
    const pub = (await api(cloud.url, '/api/v1/public/capacity', { token: null })).body;
    assert.is(pub.day, businessDay(Date.now(), DEFAULT_TZ));
    assert.equal(pub.venues[0].slots.map((s: any) => s.remaining), slots.map((s: any) => s.remaining));

    // A walk-in at the window today: the slot under way, from the share kept for the windows.
    const walkIn = await api(cloud.url, '/api/v1/orders', { body: { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'cash', amountFen: 12000, tenderedFen: 12000 }] } });
    assert.is(walkIn.status, 201, JSON.stringify(walkIn.body));
    const after = (await api(cloud.url, `/api/v1/slots/demo/main?day=${day}`)).body.items.find((s: any) => s.from === mine);
    assert.equal([after.sold, after.soldWalkIn, after.remaining], [2, 1, 0]);
    const walkInTicket = walkIn.body.lines[0].tickets[0];
    await waitFor('gate has the walk-in ticket\'s slot', () => gate.agent.store.slot(walkInTicket.id));
    assert.equal(gate.agent.store.slot(walkInTicket.id), { from: mine, to: mine === '00:00' ? '12:00' : '24:00' });
    // A window order for a slot that is full is refused in words.
    const full = await api(cloud.url, '/api/v1/orders', { body: { slot: mine, lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'cash', amountFen: 12000, tenderedFen: 12000 }] } });
    assert.is(full.status, 409);
    assert.is(full.body.error.code, 'slot_full');
  } finally {
    await gate.cleanup();
    await cloud.cleanup();
  }
});

test.run();
