/**
 * A handheld validator is a device of its own kind: provisioned with lanes of its own, shown
 * as such, and its credential opens its lanes' change log, its uploads and its siblings'
 * entries (at HQ and at a site hub) and nothing else: no gate's, kiosk's, POS's or hub's
 * endpoint, no back office, no broker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SiteHub } from '../edge/hub/hub.ts';
import { api, startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { testDeviceHeader, testDeviceMqtt } from './support/devices.ts';
import { hubConfigVia, wanTo } from './support/hub.ts';
import { provision } from './support/provision.ts';

const cloud = await startTestCloud();
const dataDir = mkdtempSync(join(tmpdir(), 'tk-hh-role-'));
const wan = await wanTo(cloud);
let hub: SiteHub | undefined;

test.after(async () => {
  await hub?.stop();
  for (const l of wan) await l.stop();
  await cloud.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

const hh = testDeviceHeader('demo', 'hh-1', 'handheld');
const as = (base: string, path: string, headers: Record<string, string>, init: { method?: string; body?: unknown } = {}) =>
  api(base, path, { ...init, token: null, headers });
const batch = (device: string) => ({
  device, epoch: '6d1f5a2e-6a39-4b8e-9a55-0c1c2b7a9e11', firstSeq: 1, lastSeq: 1,
  entries: [{ nonce: crypto.randomUUID(), ticketId: null, persons: 1, lane: 'pier', venue: 'main', direction: 'in', kind: 'emergency', deviceTime: Date.now(), correctedTime: Date.now() }],
});

async function mqttRefused(url: string, role: 'handheld' | 'gate', device: string): Promise<string> {
  const login = testDeviceMqtt('demo', device, role);
  try {
    const c = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 3000, clientId: login.username, ...login });
    await c.endAsync(true);
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  }
}

test('provisioned as a handheld, with lanes of its own; listed as one; credential without a site key', async () => {
  await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }, { device: 'gate-1', lanes: ['lane-1'] }]);
  const noLane = await api(cloud.url, '/api/v1/sites/demo/devices/hh-1', { method: 'PUT', body: { role: 'handheld', lanes: [] } });
  assert.is(noLane.status, 400);
  assert.is(noLane.body.error.code, 'gate_needs_lane');
  await provision(cloud.url, 'demo', [{ device: 'hh-1', role: 'handheld', lanes: ['pier'] }]);
  const taken = await api(cloud.url, '/api/v1/sites/demo/devices/hh-2', { method: 'PUT', body: { role: 'handheld', lanes: ['lane-1'] } });
  assert.is(taken.status, 409, 'a lane is one device\'s, a gate\'s or a handheld\'s');
  const listed = (await api(cloud.url, '/api/v1/sites/demo/devices')).body.items as { device: string; role: string; lanes: string[] }[];
  assert.equal(listed.find((d) => d.device === 'hh-1')?.role, 'handheld');
  assert.equal(listed.find((d) => d.device === 'hh-1')?.lanes, ['pier']);
  const cred = await api(cloud.url, '/api/v1/device-credentials', { body: { site: 'demo', device: 'hh-1', role: 'handheld' } });
  assert.is(cred.status, 201);
  assert.is(cred.body.username, 'handheld:demo:hh-1');
  assert.is(cred.body.siteKey, undefined);
  assert.is((await api(cloud.url, '/api/v1/device-credentials', { body: { site: 'demo', device: 'hh-1', role: 'gate' } })).status, 409);
});

test('at HQ: its three endpoints open; gate, kiosk, POS, hub and office endpoints closed; no broker', async () => {
  assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: { code: 'boat', name: '游船票', priceFen: 5000, validityDays: 1, entries: 1, persons: 1 } })).status, 201);
  const [t] = (await api(cloud.url, '/api/v1/sales', { body: { type: 'boat', quantity: 1 } })).body.tickets as { id: string }[];
  assert.is((await api(cloud.url, `/api/v1/tickets/${t!.id}/fingerprint`, { body: { template: Buffer.alloc(512, 7).toString('base64') } })).status, 201);

  const pulled = await as(cloud.url, '/api/v1/sync/changes?site=demo&since=0', hh);
  assert.is(pulled.status, 200);
  const kinds = new Set((pulled.body.changes as { kind: string }[]).map((c) => c.kind));
  assert.ok(kinds.has('ticket') && kinds.has('device'), [...kinds].join());
  assert.not.ok(kinds.has('fingerprint'), 'a handheld holds no fingerprints');
  // The same pull as a gate carries it (the gate matches fingers): the handheld's is left out by role, not by chance.
  const asGate = await as(cloud.url, '/api/v1/sync/changes?site=demo&since=0', testDeviceHeader('demo', 'gate-1'));
  assert.ok((asGate.body.changes as { kind: string }[]).some((c) => c.kind === 'fingerprint'));
  assert.is((await as(cloud.url, '/api/v1/sync/entries?site=demo', hh)).status, 200);
  const up = await as(cloud.url, '/api/v1/sync/up', hh, { body: batch('hh-1') });
  assert.is(up.status, 200, JSON.stringify(up.body));
  assert.is(up.body.upTo, 1);

  for (const [method, path] of [
    ['GET', '/api/v1/sync/digest?site=demo&after=0'], ['GET', '/api/v1/sync/pos/catalog?site=demo'], ['GET', '/api/v1/sync/kiosk/catalog?site=demo'],
    ['POST', '/api/v1/sync/hub/sales?site=demo'], ['GET', '/api/v1/sync/pickups?site=demo'],
  ] as const) {
    const r = await as(cloud.url, path, hh, { method, ...(method === 'POST' ? { body: {} } : {}) });
    assert.is(r.status, 403, `${method} ${path}: ${r.status}`);
    assert.is(r.body.error.code, 'role_forbidden', path);
  }
  for (const [method, path] of [['GET', '/api/v1/entries'], ['POST', '/api/v1/sales'], ['GET', '/api/v1/sites/demo/devices'], ['POST', '/api/v1/device-credentials']] as const) {
    const r = await as(cloud.url, path, hh, { method, ...(method === 'POST' ? { body: {} } : {}) });
    assert.is(r.status, 401, `${method} ${path}: a device credential is no office login`);
  }
  // Its name with a gate's credential: refused (provisioned as a handheld).
  const wrong = await as(cloud.url, '/api/v1/sync/changes?site=demo', testDeviceHeader('demo', 'hh-1', 'gate'));
  assert.is(wrong.body.error?.code, 'wrong_role');
  assert.match(await mqttRefused(cloud.mqttUrl, 'handheld', 'hh-1'), /Not authorized|Server unavailable|refused/i);
  assert.is(await mqttRefused(cloud.mqttUrl, 'gate', 'gate-1'), 'connected', 'the probe connects a gate');
});

test('at the site hub: its three endpoints open, a gate\'s credential cannot upload there, no LAN broker, no POS relay', async () => {
  hub = new SiteHub(hubConfigVia(dataDir, wan), testLog.child('hub'));
  await hub.start();
  const h = hub;
  await waitFor('the hub holds HQ\'s records', () => (h.state().changeLog?.checkpoint ?? 0) > 0);
  const pulled = await as(h.url, '/api/v1/sync/changes?site=demo&since=0', hh);
  assert.is(pulled.status, 200);
  assert.not.ok((pulled.body.changes as { kind: string }[]).some((c) => c.kind === 'fingerprint'));
  const up = await as(h.url, '/api/v1/sync/up', hh, { body: batch('hh-1') });
  assert.is(up.status, 200);
  assert.is((await as(h.url, '/api/v1/sync/entries?site=demo', hh)).status, 200);
  const gateUp = await as(h.url, '/api/v1/sync/up', testDeviceHeader('demo', 'gate-1'), { body: batch('gate-1') });
  assert.is(gateUp.status, 403);
  const other = await as(h.url, '/api/v1/sync/up', hh, { body: batch('hh-9') });
  assert.is(other.status, 403, 'a batch in another device\'s name');
  assert.is((await as(h.url, '/api/v1/sync/pos/catalog?site=demo', hh)).status, 401);
  assert.match(await mqttRefused(h.mqttUrl, 'handheld', 'hh-1'), /Not authorized|Server unavailable|refused/i);
});

test.run();
