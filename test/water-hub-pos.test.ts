import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestPos, type TestPos } from '../edge/pos/testing/pos.ts';
import { parseHubConfig } from '../edge/hub/config.ts';
import { SiteHub } from '../edge/hub/hub.ts';
import { api, startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { testSiteKey } from './support/devices.ts';
import { provision } from './support/provision.ts';
import { LinkSim } from './tools/link-sim.ts';

/**
 * A POS behind the site hub, as gates are: its balance pulls pass through the hub to HQ, its
 * charges go as MQTT messages the hub queues in SQLite and forwards. The WAN (both lines,
 * through the link simulator) goes down: the POS keeps charging within its offline limit, the
 * hub holds the charges, HQ has none of them; the WAN comes back: HQ records each once.
 */
const site = 'demo';
const cloud = await startTestCloud();
await provision(cloud.url, site, [{ device: 'hub-1', role: 'hub' }, { device: 'pos-h', role: 'pos' }]);
const wan = [
  new LinkSim({ target: { host: '127.0.0.1', port: cloud.mqttPort }, latencyMs: 20 }),
  new LinkSim({ target: { host: '127.0.0.1', port: cloud.httpPort }, latencyMs: 20 }),
] as const;
for (const l of wan) await l.start();
const hubDir = mkdtempSync(join(tmpdir(), 'tk-hub-pos-'));
const hub = new SiteHub(parseHubConfig({
  hub: 'hub-1', site, siteKey: testSiteKey(site), dataDir: hubDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
  upstream: { mqttUrl: `mqtt://127.0.0.1:${wan[0].port}`, cloudUrl: `http://127.0.0.1:${wan[1].port}` },
  pullIntervalMs: 300, statusIntervalMs: 1000,
}), testLog.child('hub'));
await hub.start();
let pos: TestPos | undefined;

const BAND = '0A0B0C0D';
let walletId = '';
const wallet = async () => (await api(cloud.url, `/api/v1/wallets/${walletId}`)).body;

test.before(async () => {
  assert.is((await api(cloud.url, '/api/v1/shops/snack', { method: 'PUT', body: { name: '小吃', tenant: false } })).status, 200);
  assert.is((await api(cloud.url, '/api/v1/shops/snack/items/cola', { method: 'PUT', body: { name: '可乐', priceFen: 500 } })).status, 200);
  assert.is((await api(cloud.url, '/api/v1/shops/snack/items/noodle', { method: 'PUT', body: { name: '面', priceFen: 1500 } })).status, 200);
  const w = await api(cloud.url, '/api/v1/wallets', { body: { bandUid: BAND, depositFen: 3000, topUpFen: 10_000, method: 'cash' }, headers: { 'Idempotency-Key': 'hub-pos-1' } });
  assert.is(w.status, 201, JSON.stringify(w.body));
  walletId = w.body.id;
  // The POS knows only the hub: its cloudUrl and mqttUrl are the hub's LAN side.
  pos = await startTestPos({ device: 'pos-h', shop: 'snack', cloudUrl: hub.url, mqttUrl: hub.mqttUrl, uplink: 'mqtt', offlineLimitFen: 3000, staleMs: 1500, hqTimeoutMs: 3000 });
});

test.after(async () => {
  await pos?.stop();
  await hub.stop();
  for (const l of wan) await l.stop();
  await cloud.cleanup();
  rmSync(hubDir, { recursive: true, force: true });
});

test('online through the hub: HQ decides the charge, the balance comes back through the hub', async () => {
  await waitFor('the POS pulled the band through the hub', async () => (await pos!.call('GET', `/api/bands/${BAND}`)).status === 200 && (await pos!.call('GET', '/api/state')).body.online, 15_000);
  assert.is((await pos!.call('GET', '/api/items')).body.items.length, 2, 'the shop\'s items came through the hub');
  const r = await pos!.call('POST', '/api/charges', { bandUid: BAND, items: [{ code: 'noodle', quantity: 1 }] });
  assert.is(r.status, 201, JSON.stringify(r.body));
  assert.is(r.body.offline, false, 'HQ answered over MQTT through the hub in time');
  assert.is(r.body.balanceFen, 8500);
  const w = await wallet();
  assert.is(w.balanceFen, 8500);
  assert.is(w.charges.length, 1);
  // The hub takes no charges over HTTP: they can only have come as MQTT messages.
  assert.ok((await fetch(`${hub.url}/api/v1/sync/pos/charges?site=${site}`, { method: 'POST', body: '{}' })).status >= 400);
  assert.is(pos!.agent.store.outboxSize(), 0);
});

test('the hub cannot reach HQ: the POS charges within its offline limit; HQ gets each charge once when the WAN is back', async () => {
  for (const l of wan) l.cut();
  await waitFor('the POS saw it is offline (its pulls through the hub fail)', async () => !(await pos!.call('GET', '/api/state')).body.online, 15_000);
  const a = await pos!.call('POST', '/api/charges', { bandUid: BAND, items: [{ code: 'noodle', quantity: 1 }] });
  assert.is(a.status, 201, JSON.stringify(a.body));
  assert.is(a.body.offline, true);
  const b = await pos!.call('POST', '/api/charges', { bandUid: BAND, items: [{ code: 'cola', quantity: 3 }] });
  assert.is(b.status, 201);
  // 1500 + 1500 = 3000 charged offline: the limit; one more cola is refused, the balance would allow it.
  const c = await pos!.call('POST', '/api/charges', { bandUid: BAND, items: [{ code: 'cola', quantity: 1 }] });
  assert.is(c.status, 409);
  assert.is(c.body.error.code, 'offline_limit');
  assert.is((await pos!.call('GET', `/api/bands/${BAND}`)).body.availableFen, 0);
  // The hub took the charges into its queue (MQTT PUBACK after SQLite); HQ has none of them yet.
  await waitFor('the hub queued the POS\'s charges', () => hub.state().queue.messages > 0, 10_000);
  assert.is((await wallet()).balanceFen, 8500);
  // Kept a while down: the POS sends again (no answer); HQ must still record each once.
  await new Promise((r) => setTimeout(r, 2500));
  for (const l of wan) l.restore();
  await waitFor('HQ recorded the offline charges', async () => (await wallet()).charges.length === 3, 30_000);
  await waitFor('the POS emptied its outbox with HQ\'s answers', () => pos!.agent.store.outboxSize() === 0, 30_000);
  const w = await wallet();
  assert.is(w.balanceFen, 10_000 - 1500 - 1500 - 1500);
  assert.equal(w.charges.filter((x: any) => x.offline).map((x: any) => x.amountFen).sort(), [1500, 1500]);
  await waitFor('the POS is online again', async () => (await pos!.call('GET', '/api/state')).body.online, 15_000);
  assert.is((await pos!.call('GET', `/api/bands/${BAND}`)).body.balanceFen, 5500);
  // A little later, with every re-sent copy through: still three.
  await new Promise((r) => setTimeout(r, 1500));
  assert.is((await wallet()).charges.length, 3);
});

test.run();
