import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { ingestBatch } from '../cloud/entries/ingest.ts';
import { addDays } from '../shared/time/zone.ts';
import { bookingChannel, today } from './support/channel.ts';
import { api, onBothBackends, startTestCloud } from './support/cloud.ts';
import { testDeviceHeader } from './support/devices.ts';
import { cash, must, seedOffice } from './support/office.ts';
import { provision, provisionGates } from './support/provision.ts';

/**
 * Capacity alarms (承载量告警) and the stop of sales at 100 %: a venue's persons inside and a
 * type's day of sales each raise a warning at their level and a full alarm at 100 %; both
 * are acknowledged (audited) and an acknowledgement holds until the level rises. A full park
 * stops today's sales on every channel with a Chinese message, and they resume when visitors
 * leave. On PGlite, and on Postgres when one is named.
 */
async function alarms(extra: Record<string, unknown>, label: string): Promise<void> {
  const cloud = await startTestCloud(extra);
  const u = cloud.url;
  try {
    const day = today();
    const { sellers } = await seedOffice(u, { capacity: 5 });
    const s1 = sellers[0]!;
    must(await api(u, '/api/v1/shifts', { token: s1.token, body: { floatFen: 10000 } }), 201);
    await provisionGates(u, 'demo', [['gate-1', 'lane-1']]);
    must(await api(u, '/api/v1/sites/demo/lanes/lane-1', { method: 'PUT', body: { directions: ['in', 'out'] } }), 200);
    await provision(u, 'demo', [{ device: 'kiosk-1', role: 'kiosk' }]);
    must(await api(u, '/api/v1/venue-capacity/demo/main', { method: 'PUT', body: { capacity: 4, warnPercent: 75 } }), 200);
    const ch = await bookingChannel(u, 'ctrip');
    const list = async () => must(await api(u, '/api/v1/live/demo/capacity-alarms'), 200).items as any[];
    const alarm = async (subject: string) => (await list()).find((a) => a.subject === subject);
    const sell = (quantity: number) => api(u, '/api/v1/orders', { token: s1.token, body: { lines: [{ type: 'adult', quantity }], payments: [cash(12000 * quantity)] } });

    const o = must(await sell(3), 201);
    assert.is(await alarm('type:adult'), undefined, `${label}: 3 of 5 is under 80 %`);
    const o2 = must(await sell(1), 201);
    assert.equal(await alarm('type:adult'), { subject: 'type:adult', level: 'warning', count: 4, capacity: 5, percent: 80, message: '成人票今日已售 80%（4/5）', acked: null }, label);

    // Visitors come in through the gate: 3 of 4 is the venue's warning level (75 %).
    const tickets = [...o.lines[0].tickets, ...o2.lines[0].tickets].map((t: any) => t.id as string);
    const epoch = randomUUID();
    let seq = 0;
    const pass = (ticketId: string, direction: 'in' | 'out') => ingestBatch(cloud.ctx!.db, 'demo', {
      device: 'gate-1', epoch, firstSeq: ++seq, lastSeq: seq,
      entries: [{ nonce: randomUUID(), ticketId, persons: 1, lane: 'lane-1', venue: 'main', direction, kind: direction === 'in' ? 'normal' : 'exit', deviceTime: Date.now(), correctedTime: Date.now() }],
    });
    for (const t of tickets.slice(0, 3)) await pass(t, 'in');
    const warn = await alarm('venue:main');
    assert.is(warn?.level, 'warning', label);
    assert.is(warn?.acked, null, label);
    assert.is((await api(u, '/api/v1/live/demo/capacity-alarms/ack', { body: { subject: 'type:nothing' } })).body.error.code, 'no_alarm', label);
    const acked = must(await api(u, '/api/v1/live/demo/capacity-alarms/ack', { body: { subject: 'venue:main', note: '已加派人手' } }), 200).items.find((a: any) => a.subject === 'venue:main');
    assert.equal([acked.acked.level, acked.acked.note], ['warning', '已加派人手'], label);
    const audit = must(await api(u, '/api/v1/audit/verify'), 200);
    assert.ok(audit.ok !== false, `${label}: the chain holds with the acknowledgement in it`);
    // The live screen's summary carries them too.
    const live = must(await api(u, '/api/v1/live/demo'), 200);
    assert.equal(live.summary.capacityAlarms.map((a: any) => [a.subject, a.level, a.acked !== null]).sort(), [['type:adult', 'warning', false], ['venue:main', 'warning', true]], label);

    // Full: the alarm rises above its acknowledgement, and today's sales stop on every channel.
    await pass(tickets[3]!, 'in');
    const full = await alarm('venue:main');
    assert.equal([full.level, full.count, full.acked], ['full', 4, null], `${label}: an ack of the warning does not cover full`);
    const window = await sell(1);
    assert.is(window.status, 409, label);
    assert.is(window.body.error.code, 'park_full', label);
    assert.match(window.body.error.message, /景区已达最大承载量/);
    const booked = await fetch(`${u}/api/v1/channels/bookings`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': ch.key, 'Idempotency-Key': 'full-1' },
      body: JSON.stringify({ visitDay: day, items: [{ type: 'adult', quantity: 1 }], contact: { name: '李四', phone: '13900139000' } }),
    });
    assert.is(booked.status, 409, label);
    assert.is(((await booked.json()) as any).error.code, 'park_full', label);
    const kiosk = await fetch(`${u}/api/v1/sync/kiosk/sales`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...testDeviceHeader('demo', 'kiosk-1', 'kiosk') },
      body: JSON.stringify({ attemptId: 'full-kiosk-1', items: [{ type: 'adult', quantity: 1 }], amountFen: 12000, authCode: '134567890123456780' }),
    });
    assert.is(kiosk.status, 409, label);
    assert.is(((await kiosk.json()) as any).error.code, 'park_full', `${label}: said before charging`);
    // Tomorrow is another day.
    const tomorrow = await fetch(`${u}/api/v1/channels/bookings`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': ch.key, 'Idempotency-Key': 'full-2' },
      body: JSON.stringify({ visitDay: addDays(day, 1), items: [{ type: 'adult', quantity: 1 }], contact: { name: '李四', phone: '13900139000' } }),
    });
    assert.is(tomorrow.status, 201, label);

    // A visitor leaves: sales resume; the last place of the day sells the type out (full alarm), then sold_out.
    await pass(tickets[0]!, 'out');
    must(await sell(1), 201);
    const out = await alarm('type:adult');
    assert.equal([out.level, out.message], ['full', '成人票今日已售罄（5/5），各渠道停售'], label);
    assert.is((await sell(1)).body.error.code, 'sold_out', label);
  } finally {
    await cloud.cleanup();
  }
}

onBothBackends(test, 'capacity alarms with acknowledge; sales stop at 100 % on every channel', alarms);

test.run();
