import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHubConfig } from '../edge/hub/config.ts';
import { SiteHub } from '../edge/hub/hub.ts';
import { unpackBundle } from '../shared/sync/bundle.ts';
import { api, startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { testHqMqtt, testSiteKey } from './support/devices.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { provision } from './support/provision.ts';

const ADULT = { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 };
const COALESCE_MS = 6000;

test('a hub sends its gates\' entries and statuses to HQ as one bundle per coalescing period; each gate gets its ack', async () => {
  const cloud = await startTestCloud();
  const devices = ['gate-1', 'gate-2', 'gate-3'];
  await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }, ...devices.map((d) => ({ device: d, lanes: [`${d}-lane`] }))]);
  // What crosses HQ's broker, as HQ's uplink hears it.
  const heard: { topic: string; payload: Buffer; at: number }[] = [];
  const watcher = await mqtt.connectAsync(cloud.mqttUrl, { clientId: 'bundle-watcher', ...testHqMqtt('bundle-watcher') });
  watcher.on('message', (topic, payload, packet) => { if (!packet.retain) heard.push({ topic, payload, at: Date.now() }); });
  await watcher.subscribeAsync('tk/v1/demo/#', { qos: 0 });
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-bundle-'));
  const hub = new SiteHub(parseHubConfig({
    hub: 'hub-1', site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
    upstream: { mqttUrl: cloud.mqttUrl, cloudUrl: cloud.url }, pullIntervalMs: 300, coalesceMs: COALESCE_MS, window: { enabled: false },
  }), testLog.child('hub'));
  const gates: TestGate[] = [];
  try {
    await hub.start();
    assert.ok((await api(cloud.url, '/api/v1/ticket-types', { body: ADULT })).status === 201);
    const tickets = (await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 9 } })).body.tickets as { id: string; code: string }[];
    for (const device of devices) {
      gates.push(await startTestGate({ device, lane: `${device}-lane`, mqttUrl: hub.mqttUrl, cloudUrl: hub.url, coalesceMs: 0, ackTimeoutMs: 30_000 }));
    }
    await waitFor('gates hold the tickets through the hub', () => gates.every((g) => g.agent.linkState.connected && g.agent.store.ticket(tickets[8]!.id)), 15_000);
    // The connect-time statuses and reports go first (a report leaves at once); then a quiet start.
    await waitFor('hub queue empty', () => hub.state().queue.messages === 0, 15_000);
    const from = Date.now();

    // Three scans at each gate, a few hundred ms apart: siblings hear each at once on the LAN.
    for (let i = 0; i < 3; i++) {
      for (const [n, g] of gates.entries()) assert.ok((await g.agent.present(tickets[i * 3 + n]!.code)).admit);
      await new Promise((r) => setTimeout(r, 200));
    }
    const scannedAt = Date.now();
    await waitFor('siblings heard every entry on the LAN', () => gates.every((g) => tickets.every((t) => g.agent.store.history(t.id).length === 1)), 5000);
    assert.is(await atHq(cloud), 0, 'HQ holds nothing before the coalescing period is over');

    await waitFor('HQ holds all nine entries', async () => (await atHq(cloud)) === 9, COALESCE_MS + 10_000);
    await waitFor('each gate has its ack, relayed by the hub', () => gates.every((g) => g.agent.linkState.outbox === 0), 10_000);
    const bundles = heard.filter((h) => h.at >= from && h.topic === 'tk/v1/demo/hub-1/bundle');
    const withEntries = bundles.filter((b) => unpackBundle(b.payload).items.some((i) => i.kind === 'batch'));
    assert.is(withEntries.length, 1, 'one bundle carried them');
    const items = unpackBundle(withEntries[0]!.payload).items;
    assert.equal(items.filter((i) => i.kind === 'batch').map((i) => i.kind === 'batch' && [i.batch.device, i.batch.entries.length]).sort(),
      devices.map((d) => [d, 3]), 'one batch per gate, its three single-entry uploads merged');
    assert.ok(withEntries[0]!.at - scannedAt >= COALESCE_MS - 1000, 'held for the coalescing period');
    assert.not.ok(heard.some((h) => h.at >= from && /\/gate-\d\/up$/.test(h.topic)), 'no gate upload crossed the WAN on its own');
    assert.ok(heard.some((h) => h.topic === 'tk/v1/demo/hub-1/bundle/ack'), 'HQ acked the bundle once');

    // A mode report does not wait for the period: HQ sees a gate close within a second or two.
    const t0 = Date.now();
    assert.is((await api(cloud.url, '/api/v1/sites/demo/devices/gate-2/mode', { method: 'PUT', body: { mode: 'closed' } })).status, 200);
    await waitFor('HQ sees gate-2 report closed', async () => {
      const d = (await api(cloud.url, '/api/v1/sites/demo/devices')).body.items.find((x: any) => x.device === 'gate-2');
      return d?.reported?.mode === 'closed';
    }, COALESCE_MS + 5000);
    assert.ok(Date.now() - t0 < COALESCE_MS, `reported in ${Date.now() - t0} ms`);
    // Statuses ride in bundles and still reach HQ's device view.
    const online = (await api(cloud.url, '/api/v1/sites/demo/devices')).body.items.filter((d: any) => devices.includes(d.device) && d.online);
    assert.is(online.length, 3, 'the gates are online at HQ');
  } finally {
    for (const g of gates) await g.cleanup();
    await hub.stop();
    await watcher.endAsync(true);
    await cloud.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

async function atHq(cloud: Awaited<ReturnType<typeof startTestCloud>>): Promise<number> {
  const rows = await cloud.ctx!.db.execute(`select count(*)::int n from entries where device like 'gate-%'`) as unknown as { rows?: { n: number }[] } & { n: number }[];
  return (rows.rows ?? rows)[0]!.n;
}

test.run();
