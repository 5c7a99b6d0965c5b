import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lookupHash } from '../../shared/booking/lookup.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import type { BookingRow } from '../../shared/sync/messages.ts';
import { FakeHq } from '../../test/support/fake-hq.ts';
import { openKioskDb } from './db/open.ts';
import { KioskDownlink } from './downlink.ts';
import { HqClient } from '../agent/hq.ts';
import { KioskStore } from './store.ts';

const booking = (orderNo: string, state: BookingRow['state'] = 'issued'): BookingRow => ({
  orderNo, pickupCode: `BK${orderNo}`, visitDay: '2099-01-01', validUntil: 4_070_995_200, state,
  phoneHash: lookupHash('phone', '13812345678'), phoneLast4: '5678', idHash: null, contactName: '张三',
  tickets: [{ id: '0193a000-0000-7000-8000-000000000001', code: 'CODE1', typeId: 1, persons: 1 }],
});

async function setup() {
  const hq = new FakeHq();
  await hq.start();
  const store = new KioskStore(openKioskDb(':memory:'));
  const client = new HqClient({ cloudUrl: hq.url, username: 'kiosk:demo:kiosk-1', timeoutMs: 2000 });
  const downlink = new KioskDownlink({ store, hq: client, site: 'demo', intervalMs: 60_000, log: silentLogger, now: Date.now });
  // pull() runs only while started; the interval is long, so each pull here is the test's own.
  downlink.start();
  await downlink.pull();
  return { hq, store, downlink, client, async stop() { await downlink.stop(); client.close(); await hq.stop(); } };
}

test('bookings, templates and keys are applied, other kinds stepped over; a damaged page is not applied', async () => {
  const t = await setup();
  try {
    t.hq.add(t.hq.keyChange(), { kind: 'booking', booking: booking('B1') }, { kind: 'lane', rules: { lane: 'lane-1' } } as never,
      { kind: 'template', code: 'dflt', version: 1, name: '默认', typeId: null, layout: { elements: [{ kind: 'qr' }] } });
    t.hq.answerOnce((since) => ({ ...t.hq.page(since), checksum: 'deadbeef' }));
    await t.downlink.pull();
    assert.match(t.downlink.lastError ?? '', /checksum/);
    assert.is(t.store.bookingCount(), 0);
    assert.is(t.store.checkpoint(), 0);
    await t.downlink.pull();
    assert.is(t.downlink.lastError, undefined);
    assert.is(t.store.checkpoint(), 4);
    assert.is(t.store.booking('B1')!.tickets[0]!.code, 'CODE1');
    assert.ok(t.store.keyring().has(t.hq.key.keyId));
    assert.ok(t.store.template('default'));

    t.hq.add({ kind: 'booking', booking: booking('B1', 'picked_up') });
    await t.downlink.pull();
    assert.is(t.store.booking('B1')!.state, 'picked_up');
    assert.equal(t.hq.requests.at(-1), { since: 4, log: 'fake-log-1' });
  } finally {
    await t.stop();
  }
});

test('HQ says reset: the cache is dropped and pulled again, pickups and outbox stay', async () => {
  const t = await setup();
  try {
    t.hq.add({ kind: 'booking', booking: booking('B1') }, { kind: 'booking', booking: booking('B2') });
    await t.downlink.pull();
    const p = t.store.beginPickup({ pickupId: 'pickup-1', orderNo: 'B1', total: 1, source: 'cache' });
    t.store.ticketPrinted(p.pickupId, 'x', 'demo');
    // A rebuilt HQ: another log, holding only B2.
    t.hq.logId = 'fake-log-2';
    t.hq.changes = [];
    t.hq.add({ kind: 'booking', booking: booking('B2') });
    t.hq.answerOnce((since) => ({ log: 'fake-log-2', reset: true, since, next: 0, more: false, serverTime: Date.now(), changes: [] }));
    await t.downlink.pull();
    assert.is(t.store.booking('B1'), undefined);
    assert.ok(t.store.booking('B2'));
    assert.is(t.store.meta('change_log'), 'fake-log-2');
    assert.is(t.store.outboxSize(), 1);
    assert.is(t.store.pickupsOf('B1').length, 1);
  } finally {
    await t.stop();
  }
});

test('garbage from HQ is an error to retry, never applied', async () => {
  const t = await setup();
  try {
    t.hq.answerOnce(() => new Response('<html>proxy error</html>', { status: 200 }));
    await t.downlink.pull();
    assert.ok(t.downlink.lastError);
    t.hq.answerOnce((since) => ({ ...t.hq.page(since), since: since + 5 }));
    await t.downlink.pull();
    assert.match(t.downlink.lastError ?? '', /since/);
    t.hq.add({ kind: 'booking', booking: booking('B7') });
    await t.downlink.pull();
    assert.ok(t.store.booking('B7'));
  } finally {
    await t.stop();
  }
});

test.run();
