import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestKiosk, type TestKiosk } from '../edge/kiosk/testing/kiosk.ts';
import { bookingChannel } from './support/channel.ts';
import { LinkSim } from './tools/link-sim.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { provision } from './support/provision.ts';

// A booking made online is picked up at a kiosk while HQ is unreachable (today's bookings are
// in its cache), survives a restart of the kiosk in its outbox, and reaches HQ later.
const cloud = await startTestCloud();
await provision(cloud.url, 'demo', [{ device: 'kiosk-1', role: 'kiosk' }]);
const channel = await bookingChannel(cloud.url);
const link = new LinkSim({ target: { host: '127.0.0.1', port: cloud.httpPort }, latencyMs: 20 });
await link.start();
let kiosk: TestKiosk | undefined;

test.after(async () => {
  await kiosk?.stop();
  await link.stop();
  await cloud.cleanup();
});

const atHq = async (orderNo: string, phone: string) => (await api(cloud.url, `/api/v1/pickups/lookup?order=${orderNo}&phone=${phone}`)).body[0];

test('picked up offline from the cache, kept across a restart, recorded at HQ when the line is back', async () => {
  kiosk = await startTestKiosk({ cloudUrl: `http://127.0.0.1:${link.port}`, hqTimeoutMs: 800 });
  const b = await channel.book({ name: '张三', phone: '13812345678' }, [{ type: 'adult', quantity: 2 }]);
  const dup = await channel.book({ name: '李四', phone: '13900001111' }, [{ type: 'child', quantity: 1 }]);
  await waitFor('bookings in the kiosk cache', () => kiosk!.agent.store.booking(b.orderNo) && kiosk!.agent.store.booking(dup.orderNo), 20_000);
  assert.is(kiosk.agent.store.booking(b.orderNo)!.tickets.length, 2);

  // The line goes dead without anyone noticing: connections hang, nothing answers.
  link.blackhole(true);
  const t0 = Date.now();
  const found = await kiosk.call('POST', '/api/pickup/find', { by: 'order', order: b.orderNo, phone: '13812345678' });
  assert.is(found.status, 200, JSON.stringify(found.body));
  assert.is(found.body.source, 'cache');
  assert.ok(Date.now() - t0 < 5000, 'the visitor waits for HQ only up to hqTimeoutMs');
  const wrongPhone = await kiosk.call('POST', '/api/pickup/find', { by: 'order', order: b.orderNo, phone: '13800000000' });
  assert.is(wrongPhone.body.error.code, 'not_found', 'the cache checks the phone too (by its hash)');

  const done = await kiosk.call('POST', '/api/pickup/confirm', { token: found.body.bookings[0].token });
  assert.is(done.status, 200, JSON.stringify(done.body));
  assert.is(done.body.printed, 2);
  assert.is(kiosk.agent.store.outboxSize(), 1);

  // Meanwhile a window hands out the other booking, which the kiosk also hands out offline.
  const window = await api(cloud.url, '/api/v1/pickups', { body: { pickupId: 'window-pickup-0001', orderNo: dup.orderNo, device: 'window-1' } });
  assert.is(window.status, 200, JSON.stringify(window.body));
  const again = await kiosk.call('POST', '/api/pickup/find', { by: 'code', code: dup.pickupCode });
  assert.is(again.body.source, 'cache');
  assert.is((await kiosk.call('POST', '/api/pickup/confirm', { token: again.body.bookings[0].token })).status, 200);
  assert.is(kiosk.agent.store.outboxSize(), 2);
  // The kiosk's own pickup is remembered while offline: a second visit is refused.
  const second = await kiosk.call('POST', '/api/pickup/find', { by: 'order', order: b.orderNo, phone: '13812345678' });
  assert.is(second.body.error.code, 'already_picked_up');
  assert.is((await atHq(b.orderNo, '13812345678')).state, 'issued', 'HQ has not heard yet');

  // The kiosk restarts while the line is still dead; the pickups wait in its outbox.
  const dataDir = kiosk.dataDir;
  await kiosk.stop(false);
  kiosk = await startTestKiosk({ cloudUrl: `http://127.0.0.1:${link.port}`, hqTimeoutMs: 800 }, { dataDir });
  assert.is(kiosk.agent.store.outboxSize(), 2);

  link.blackhole(false);
  await waitFor('pickup at HQ', async () => (await atHq(b.orderNo, '13812345678')).state === 'picked_up', 30_000);
  await waitFor('outbox drained', () => kiosk!.agent.store.outboxSize() === 0, 30_000);
  assert.is(kiosk.agent.store.pickupsOf(b.orderNo)[0]!.hqResult, 'picked_up');
  assert.is(kiosk.agent.store.pickupsOf(dup.orderNo)[0]!.hqResult, 'duplicate');
  const flagged = await api(cloud.url, '/api/v1/channels/admin/pickups/flagged');
  assert.ok(flagged.body.some((f: any) => f.orderNo === dup.orderNo && f.flag === 'duplicate' && f.device === 'kiosk-1'), JSON.stringify(flagged.body));
  assert.not.ok(flagged.body.some((f: any) => f.orderNo === b.orderNo));
});

test('offline: sale unavailable, pickup still works', async () => {
  link.cut();
  const types = await kiosk!.call('GET', '/api/sale/types');
  assert.is(types.status, 503);
  assert.is(types.body.error.code, 'sale_unavailable');
  const start = await kiosk!.call('POST', '/api/sale', { items: [{ type: 'adult', quantity: 1 }] });
  assert.is(start.body.error.code, 'sale_unavailable');
  link.restore();
});

test.run();
