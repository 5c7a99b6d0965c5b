import { testDeviceMqtt, testSiteKey } from './support/devices.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHubConfig, type HubConfig } from '../edge/hub/config.ts';
import { SiteHub } from '../edge/hub/hub.ts';
import { LinkSim } from './tools/link-sim.ts';
import { api, startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { provision } from './support/provision.ts';

const GROUP5 = { code: 'group5', name: '团队票（5人）', priceFen: 50000, validityDays: 1, entries: 1, persons: 5 };
const ADULT = { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 };

type Cloud = Awaited<ReturnType<typeof startTestCloud>>;

interface Site {
  cloud: Cloud;
  /** The WAN: one line for MQTT, one for HTTP, both between the hub and HQ. */
  wan: [LinkSim, LinkSim];
  hub: SiteHub;
  config: HubConfig;
  gates: TestGate[];
  cleanup(): Promise<void>;
}

/** HQ, a hub reaching it only through the simulated WAN, and two gates on the hub's LAN. */
async function startSite(): Promise<Site> {
  const cloud = await startTestCloud();
  await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }, { device: 'gate-1', lanes: ['lane-1'] }, { device: 'gate-2', lanes: ['lane-2'] }]);
  const wan: [LinkSim, LinkSim] = [
    new LinkSim({ target: { host: '127.0.0.1', port: cloud.mqttPort }, latencyMs: 20 }),
    new LinkSim({ target: { host: '127.0.0.1', port: cloud.httpPort }, latencyMs: 20 }),
  ];
  for (const l of wan) await l.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hub-'));
  const config = parseHubConfig({
    hub: 'hub-1', site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
    upstream: { mqttUrl: `mqtt://127.0.0.1:${wan[0].port}`, cloudUrl: `http://127.0.0.1:${wan[1].port}` },
    // Uploads leave the hub at once (the production default coalesces them for 10 s: edge/hub/config.ts).
    pullIntervalMs: 300, statusIntervalMs: 1000, coalesceMs: 0,
  });
  const hub = new SiteHub(config, testLog.child('hub'));
  await hub.start();
  const gates = await Promise.all([1, 2].map((n) => startTestGate({
    device: `gate-${n}`, lane: `lane-${n}`, mqttUrl: hub.mqttUrl, cloudUrl: hub.url,
  })));
  const site: Site = {
    cloud, wan, hub, config, gates,
    async cleanup() {
      for (const g of site.gates) await g.cleanup();
      await site.hub.stop();
      for (const l of wan) await l.stop();
      await cloud.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return site;
}

/** The retained JSON payload of a topic on a broker, or undefined if none comes within 2 s. */
async function retainedOn(url: string, topic: string): Promise<any> {
  // A hub's credential: it may listen to any device's topics of the site.
  const probe = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 2000, clientId: 'hub:demo:probe', ...testDeviceMqtt('demo', 'probe', 'hub') });
  try {
    const got = new Promise<Buffer>((resolve) => probe.on('message', (t, payload) => t === topic && resolve(payload)));
    await probe.subscribeAsync(topic, { qos: 1 });
    const payload = await Promise.race([got, new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000).unref())]);
    return payload && JSON.parse(payload.toString('utf8'));
  } finally {
    await probe.endAsync(true);
  }
}

const ticketAtHq = async (cloud: Cloud, id: string) => (await api(cloud.url, `/api/v1/tickets/${id}`)).body;
const entriesAtHq = async (cloud: Cloud, id: string) => (await api(cloud.url, `/api/v1/entries?ticket=${id}`)).body.items as any[];

test('gates share entries over the hub while the WAN is down; HQ gets them once when it is back; modes reach the gates', async () => {
  const site = await startSite();
  const { cloud, hub, wan } = site;
  const [g1, g2] = site.gates as [TestGate, TestGate];
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: GROUP5 });
    const t = (await api(cloud.url, '/api/v1/sales', { body: { type: 'group5', quantity: 1 } })).body.tickets[0];
    // HQ -> hub (pulled over the WAN) -> gates (pulled from the hub on its doorbell).
    await waitFor('both gates have the ticket through the hub', () => g1.agent.store.ticket(t.id) && g2.agent.store.ticket(t.id));
    await waitFor('gates on the hub, hub on HQ', () => g1.agent.linkState.connected && g2.agent.linkState.connected && hub.state().upstream);

    for (const l of wan) l.cut();
    await waitFor('hub cut off from HQ', () => !hub.state().upstream);
    const a = await g1.agent.present(t.code, { persons: 3 });
    assert.is(a.admit, true, a.message);
    assert.is(a.persons, 3);
    await waitFor('gate 2 hears gate 1 over the LAN broker', () => g2.agent.store.history(t.id).length === 1);
    const b = await g2.agent.present(t.code);
    assert.is(b.admit, true, b.message);
    assert.is(b.persons, 2, 'gate 2 admits only the 2 left');
    await waitFor('gate 1 hears gate 2', () => g1.agent.store.history(t.id).length === 2);
    const sixth = await g1.agent.present(t.code, { persons: 1 });
    assert.is(sixth.admit, false);
    assert.is(sixth.reason, 'used');
    await waitFor('turnstiles counted 5 passages', () => g1.agent.counters.passed + g2.agent.counters.passed === 5);
    await waitFor('hub queued both uploads', () => g1.agent.linkState.outbox > 0 && g2.agent.linkState.outbox > 0 && hub.state().queue.messages >= 2);
    // Gates re-send unacked uploads every ackTimeoutMs (500 ms here); let a few go by.
    await new Promise((r) => setTimeout(r, 1200));
    const queuedInOutage = hub.state().queue.messages;
    assert.ok(queuedInOutage <= 6, `re-sent batches are not queued twice (${queuedInOutage} queued)`);
    assert.is((await ticketAtHq(cloud, t.id)).used.persons, 0, 'HQ has received nothing while the WAN is down');
    assert.is((await entriesAtHq(cloud, t.id)).length, 0);
    // The LAN keeps pulling from the hub's copy of the change log.
    const pulledAt = g2.agent.linkState.lastPullAt!;
    await waitFor('gate pulls from the hub while the WAN is down', () => (g2.agent.linkState.lastPullAt ?? 0) > pulledAt && !g2.agent.linkState.pullError);

    // A command sent at HQ while the WAN is down waits in HQ's broker for the hub's session.
    const cmd = await api(cloud.url, '/api/v1/sites/demo/devices/gate-1/commands', { body: { name: 'sync-now' } });
    assert.is(cmd.status, 201);

    for (const l of wan) l.restore();
    await waitFor('HQ has both entries', async () => (await ticketAtHq(cloud, t.id)).used.persons === 5, 10_000);
    await waitFor('HQ acks reach the gates through the hub', () => g1.agent.linkState.outbox === 0 && g2.agent.linkState.outbox === 0);
    await waitFor('hub queue drained', () => hub.state().queue.messages === 0);
    const entries = await entriesAtHq(cloud, t.id);
    assert.is(entries.length, 2, 'each entry once');
    assert.equal(entries.map((e) => `${e.device}:${e.persons}`).sort(), ['gate-1:3', 'gate-2:2']);
    await waitFor('the command ran, and both answers reached HQ', async () => (await api(cloud.url, `/api/v1/commands/${cmd.body.id}`)).body.status === 'done');

    // A site emergency set at HQ reaches both gates through the hub, and their reports come back.
    const t0 = Date.now();
    const set = await api(cloud.url, '/api/v1/sites/demo/mode', { method: 'PUT', body: { mode: 'emergency' } });
    assert.is(set.status, 200);
    await waitFor('both leaves open', () => g1.turnstile.state.emergencyOpen && g2.turnstile.state.emergencyOpen, 3000, 5);
    const openedIn = Date.now() - t0;
    assert.ok(openedIn < 1000, `opened in ${openedIn} ms`);
    await waitFor('HQ sees both report emergency through the hub', async () => {
      const devs = (await api(cloud.url, '/api/v1/sites/demo/devices')).body.items;
      return devs.filter((d: any) => d.reported?.mode === 'emergency' && d.reported.version === set.body.version).length === 2;
    }, 5000);
    assert.ok((await api(cloud.url, '/api/v1/sites/demo/devices')).body.items.some((d: any) => d.device === 'hub-1' && d.online), 'the hub is present at HQ');
    await api(cloud.url, '/api/v1/sites/demo/mode', { method: 'PUT', body: { mode: 'normal' } });
    await waitFor('both leaves closed', () => !g1.turnstile.state.emergencyOpen && !g2.turnstile.state.emergencyOpen, 3000, 5);
  } finally {
    await site.cleanup();
  }
});

test('a hub restart with the WAN down loses neither queued entries nor retained modes', async () => {
  const site = await startSite();
  const { cloud, wan, config } = site;
  const [g1, g2] = site.gates as [TestGate, TestGate];
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: ADULT });
    const t = (await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } })).body.tickets[0];
    await waitFor('both gates have the ticket', () => g1.agent.store.ticket(t.id) && g2.agent.store.ticket(t.id));
    await api(cloud.url, '/api/v1/sites/demo/devices/gate-2/mode', { method: 'PUT', body: { mode: 'closed' } });
    await waitFor('gate 2 closed', () => g2.agent.mode === 'closed');
    assert.is((await retainedOn(site.hub.mqttUrl, 'tk/v1/demo/gate-2/desired'))?.mode, 'closed');

    for (const l of wan) l.cut();
    await waitFor('hub cut off from HQ', () => !site.hub.state().upstream);
    assert.is((await g1.agent.present(t.code)).admit, true);
    await waitFor('gate 2 hears the entry (so the hub has queued it)', () => g2.agent.store.history(t.id).length === 1);
    // Gate 1 goes away with its outbox: from here on the hub's queue is the only copy.
    await g1.cleanup();
    site.gates = [g2];

    await site.hub.stop();
    const hub = new SiteHub({ ...config, mqttPort: site.hub.mqttPort, httpPort: site.hub.httpPort }, testLog.child('hub'));
    site.hub = hub;
    await hub.start();
    assert.ok(hub.state().queue.messages >= 1, 'the queue survived the restart');

    // Retained desired modes come back from the hub's own disk, the WAN still being down.
    assert.is((await retainedOn(hub.mqttUrl, 'tk/v1/demo/gate-2/desired'))?.mode, 'closed');
    await waitFor('gate 2 back on the hub', () => g2.agent.linkState.connected);
    assert.is(g2.agent.mode, 'closed');
    assert.is((await entriesAtHq(cloud, t.id)).length, 0, 'HQ has nothing yet');

    for (const l of wan) l.restore();
    await waitFor('HQ has the entry from the hub alone', async () => (await ticketAtHq(cloud, t.id)).used.persons === 1, 10_000);
    await waitFor('hub queue drained', () => hub.state().queue.messages === 0);
    const entries = await entriesAtHq(cloud, t.id);
    assert.equal(entries.map((e) => `${e.device}:${e.persons}`), ['gate-1:1']);
  } finally {
    await site.cleanup();
  }
});

test.run();
