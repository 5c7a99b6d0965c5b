/**
 * Down-sync scoped by venue: a gate of the water park holds only tickets that grant the water
 * park, a gate of the main entrance only those that grant it, each cache equals HQ's scoped
 * view, through HQ and through a site hub; a gate whose venues change fetches its cache anew.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHubConfig } from '../edge/hub/config.ts';
import { SiteHub } from '../edge/hub/hub.ts';
import { api, startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { testDeviceHeader, testSiteKey, withGateToken, testHqHeader } from './support/devices.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { GateAgent } from '../edge/gate/agent.ts';
import { parseGateConfig } from '../edge/gate/config.ts';
import { SimScanner } from '../hardware/scanner/sim.ts';
import { SimTurnstile } from '../hardware/turnstile/sim.ts';
import { provision } from './support/provision.ts';

const TYPES = [
  { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 },
  { code: 'water', name: '水上乐园票', priceFen: 15000, validityDays: 1, entries: 1, persons: 1, rules: { kind: 'visitor', faceRequired: false, venues: [{ venue: 'water', entries: 1 }] } },
  { code: 'combo', name: '联票', priceFen: 20000, validityDays: 1, entries: 1, persons: 1, rules: { kind: 'visitor', faceRequired: false, venues: [{ venue: 'main', entries: 1 }, { venue: 'water', entries: 1 }] } },
];

async function sell(base: string, type: string, quantity: number): Promise<{ id: string; code: string }[]> {
  const r = await api(base, '/api/v1/sales', { body: { type, quantity } });
  assert.is(r.status, 201, JSON.stringify(r.body));
  return r.body.tickets;
}

const held = (g: TestGate, ids: string[]) => ids.filter((id) => g.agent.store.ticket(id) !== undefined).length;

async function hqDigest(base: string, venues?: string): Promise<{ tickets: number; digest: string }> {
  return (await api(base, `/api/v1/sync/digest?site=demo&after=0${venues ? `&venues=${venues}` : ''}`, { headers: testHqHeader() })).body;
}

/** The water park beside the main venue, and lanes into each. */
async function venues(base: string): Promise<void> {
  assert.is((await api(base, '/api/v1/sites/demo/venues/water', { method: 'PUT', body: { name: '水上乐园' } })).status, 200);
  for (const [lane, venue] of [['main-1', 'main'], ['main-2', 'main'], ['main-v', 'main'], ['pool-1', 'water'], ['pool-2', 'water'], ['pool-3', 'water'], ['pool-v', 'water']]) {
    assert.is((await api(base, `/api/v1/sites/demo/lanes/${lane}`, { method: 'PUT', body: { venue } })).status, 200);
  }
}

test('gates hold the tickets of their lanes\' venues only, and their caches equal HQ\'s scoped view', async () => {
  const cloud = await startTestCloud();
  await venues(cloud.url);
  // What a gate holds follows from HQ's record of it: the venues of its lanes.
  await provision(cloud.url, 'demo', [
    { device: 'hub-1', role: 'hub' }, { device: 'gate-main', lanes: ['main-1'] }, { device: 'gate-pool', lanes: ['pool-1'] },
    { device: 'gate-all', lanes: ['main-2', 'pool-2'] }, { device: 'gate-pool-2', lanes: ['pool-3'] },
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-venues-'));
  const hub = new SiteHub(parseHubConfig({
    hub: 'hub-1', site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
    upstream: { mqttUrl: cloud.mqttUrl, cloudUrl: cloud.url }, pullIntervalMs: 300,
  }), testLog.child('hub'));
  await hub.start();
  const gates: TestGate[] = [];
  try {
    for (const t of TYPES) assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: t })).status, 201);
    const adult = (await sell(cloud.url, 'adult', 3)).map((t) => t.id);
    const water = (await sell(cloud.url, 'water', 2)).map((t) => t.id);
    const combo = (await sell(cloud.url, 'combo', 2)).map((t) => t.id);
    const [main, pool, all, poolViaHub] = await Promise.all([
      startTestGate({ device: 'gate-main', lane: 'main-1', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl }),
      // Asking for more than its lanes need gets it nothing more.
      startTestGate({ device: 'gate-pool', lane: 'pool-1', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, venues: ['main', 'water'] }),
      startTestGate({ device: 'gate-all', lane: 'main-2', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl }),
      startTestGate({ device: 'gate-pool-2', lane: 'pool-3', cloudUrl: hub.url, mqttUrl: hub.mqttUrl }),
    ]);
    gates.push(main!, pool!, all!, poolViaHub!);
    await waitFor('all gates synced', () => held(all!, [...adult, ...water, ...combo]) === 7 && held(main!, combo) === 2 && held(pool!, combo) === 2 && held(poolViaHub!, combo) === 2, 30_000);
    assert.is(held(main!, adult), 3);
    assert.is(held(main!, water), 0, 'the main gate holds no water-only ticket');
    assert.is(held(pool!, water), 2);
    assert.is(held(pool!, adult), 0, 'the pool gate holds no main-only ticket');
    assert.is(held(poolViaHub!, adult), 0, 'the hub scopes the same way');
    assert.is(held(poolViaHub!, water), 2);
    assert.equal(main!.agent.store.cacheDigest(0), await hqDigest(cloud.url, 'main'));
    assert.equal(pool!.agent.store.cacheDigest(0), await hqDigest(cloud.url, 'water'));
    assert.equal(poolViaHub!.agent.store.cacheDigest(0), await hqDigest(cloud.url, 'water'));
    assert.equal(all!.agent.store.cacheDigest(0), await hqDigest(cloud.url));
    // A card bound to a water ticket reaches the pool gate, not the main gate.
    assert.is((await api(cloud.url, `/api/v1/tickets/${water[0]}/credentials`, { body: { kind: 'card', value: '04AABBCC' } })).status, 201);
    await waitFor('card at the pool gate', () => pool!.agent.evaluate({ kind: 'card', value: '04AABBCC' }).ticketId === water[0], 10_000);
    await new Promise((r) => setTimeout(r, 700));
    assert.is(main!.agent.evaluate({ kind: 'card', value: '04AABBCC' }).verdict.admit, false);
    assert.is((await main!.agent.present((await sell(cloud.url, 'adult', 1))[0]!.code)).admit, true, 'signed codes still verify offline at any gate of their venue');
  } finally {
    for (const g of gates) await g.cleanup();
    await hub.stop();
    await cloud.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a gate whose lanes HQ moves to another venue fetches its cache anew for the new scope', async () => {
  const cloud = await startTestCloud();
  await venues(cloud.url);
  await provision(cloud.url, 'demo', [{ device: 'gate-v', lanes: ['main-v'] }]);
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-venues-gate-'));
  const start = async (lane: string) => {
    const config = parseGateConfig(withGateToken({ device: 'gate-v', site: 'demo', lane, dataDir, cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, pullIntervalMs: 300 }));
    const agent = new GateAgent(config, { turnstile: new SimTurnstile({ autoPass: true, passDelayMs: 1 }), scanner: new SimScanner(), log: testLog.child('gate-v') });
    await agent.start();
    return agent;
  };
  let agent: GateAgent | undefined;
  try {
    for (const t of TYPES) assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: t })).status, 201);
    const adult = (await sell(cloud.url, 'adult', 2)).map((t) => t.id);
    const water = (await sell(cloud.url, 'water', 2)).map((t) => t.id);
    agent = await start('main-v');
    await waitFor('main scope synced', () => adult.every((id) => agent!.store.ticket(id)));
    assert.is(water.filter((id) => agent!.store.ticket(id)).length, 0);
    // The gate is moved to the water park's lane, while it runs.
    await provision(cloud.url, 'demo', [{ device: 'gate-v', lanes: ['pool-v'] }]);
    await waitFor('water scope synced', () => water.every((id) => agent!.store.ticket(id)));
    assert.is(adult.filter((id) => agent!.store.ticket(id)).length, 0, 'the old scope\'s tickets are gone');
    assert.equal(agent.store.cacheDigest(0), await hqDigest(cloud.url, 'water'));
    // Its config names the old lane until it is changed: the gate says so in its status.
    assert.match(agent.status().error ?? '', /lane main-v is not provisioned for this device/);
    await agent.stop();
    agent = await start('pool-v');
    assert.is(agent.status().error, null);
  } finally {
    await agent?.stop();
    await cloud.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('HQ: a bad venues parameter is a 400', async () => {
  const cloud = await startTestCloud();
  try {
    for (const v of ['', 'a b', 'main,,water', 'x'.repeat(40)]) {
      const r = await api(cloud.url, `/api/v1/sync/changes?site=demo&venues=${encodeURIComponent(v)}`, { headers: testHqHeader() });
      assert.is(r.status, 400, v);
      assert.is(r.body.error.code, 'invalid_request');
    }
  } finally {
    await cloud.cleanup();
  }
});

test.run();
