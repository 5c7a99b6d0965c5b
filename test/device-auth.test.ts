/**
 * Devices sign in: HQ's broker, HQ's sync endpoints and a site hub's LAN broker and change log
 * each let a device in only with its own credential, and only onto its own topics and site.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHubConfig } from '../edge/hub/config.ts';
import { SiteHub } from '../edge/hub/hub.ts';
import { deviceAuthHeader, issueCredential } from '../shared/auth/device.ts';
import { api, startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { TEST_DEVICE_SECRET, testDeviceHeader, testDeviceMqtt, testSiteKey } from './support/devices.ts';
import { startTestGate } from './support/gate.ts';
import { provision, provisionGates } from './support/provision.ts';

/** A device connects under its own client id (its username) unless a test says otherwise. */
const connect = (url: string, opts: Record<string, unknown>): Promise<MqttClient> =>
  mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 3000, ...(typeof opts.username === 'string' ? { clientId: opts.username } : {}), ...opts });

async function refused(url: string, opts: Record<string, unknown>): Promise<string> {
  try {
    const c = await connect(url, opts);
    await c.endAsync(true);
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  }
}

/** Subscribes and reports whether the broker granted it (SUBACK 128 = refused). */
async function granted(client: MqttClient, filter: string): Promise<boolean> {
  try {
    const [g] = await client.subscribeAsync(filter, { qos: 1 });
    return g!.qos !== 128;
  } catch (err) {
    if (/Unspecified error|128/.test((err as Error).message)) return false; // mqtt.js rejects a SUBACK failure
    throw err;
  }
}

/** Publishes at QoS 1 and reports whether the client was dropped for it. */
async function droppedFor(client: MqttClient, topic: string): Promise<boolean> {
  let dropped = false;
  client.once('close', () => (dropped = true));
  client.publish(topic, '{}', { qos: 1 });
  await new Promise((r) => setTimeout(r, 400));
  return dropped;
}

test('HQ broker: no credential, a wrong token, another site\'s token: not connected', async () => {
  const cloud = await startTestCloud();
  try {
    await provisionGates(cloud.url, 'demo', [['gate-1', 'lane-1']]);
    const good = testDeviceMqtt('demo', 'gate-1');
    assert.match(await refused(cloud.mqttUrl, {}), /Bad username or password|Not authorized/);
    assert.match(await refused(cloud.mqttUrl, { ...good, password: good.password.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }), /Bad username or password|Not authorized/);
    assert.match(await refused(cloud.mqttUrl, { ...good, username: 'gate:north:gate-1' }), /Bad username or password|Not authorized/);
    assert.match(await refused(cloud.mqttUrl, { username: 'hq:*:x', password: 'guess' }), /Bad username or password|Not authorized/);
    assert.is(await refused(cloud.mqttUrl, good), 'connected');
    assert.match(await refused(cloud.mqttUrl, testDeviceMqtt('demo', 'gate-9')), /Not authorized/, 'a valid token of a device HQ has not provisioned');
    await api(cloud.url, '/api/v1/sites/demo/devices/gate-1', { method: 'PUT', body: { role: 'gate', lanes: ['lane-1'], active: false } });
    assert.match(await refused(cloud.mqttUrl, good), /Not authorized/, 'a device switched off');
  } finally {
    await cloud.cleanup();
  }
});

test('HQ broker: a gate subscribes on its own site only and publishes under its own name only', async () => {
  const cloud = await startTestCloud();
  try {
    await provisionGates(cloud.url, 'demo', [['gate-1', 'lane-1']]);
    const gate = await connect(cloud.mqttUrl, testDeviceMqtt('demo', 'gate-1'));
    assert.ok(await granted(gate, 'tk/v1/demo/+/up'), 'siblings\' uploads on its site');
    assert.ok(await granted(gate, 'tk/v1/demo/notify'));
    assert.not.ok(await granted(gate, 'tk/v1/north/+/up'), 'another site');
    assert.not.ok(await granted(gate, '#'));
    assert.not.ok(await granted(gate, 'tk/v1/demo/gate-2/cmd/req'), 'another gate\'s commands');
    assert.ok(await granted(gate, 'tk/v1/demo/gate-1/cmd/req'), 'its own commands');
    assert.not.ok(await droppedFor(gate, 'tk/v1/demo/gate-1/status'), 'its own status');
    assert.ok(await droppedFor(gate, 'tk/v1/demo/gate-1/desired'), 'HQ\'s topic: dropped');
    await gate.endAsync(true);
    const again = await connect(cloud.mqttUrl, testDeviceMqtt('demo', 'gate-1'));
    assert.ok(await droppedFor(again, 'tk/v1/demo/gate-2/up'), 'another gate\'s name: dropped');
    await again.endAsync(true);
  } finally {
    await cloud.cleanup();
  }
});

test('HQ sync endpoints: 401 without a device credential, 403 for another site, 404 for a device HQ does not know, 200 for its own', async () => {
  const cloud = await startTestCloud();
  try {
    await provision(cloud.url, 'demo', [{ device: 'gate-1', lanes: ['lane-1'] }, { device: 'kiosk-1', role: 'kiosk' }]);
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${cloud.url}/api/v1/sync/${path}`, { headers });
      return { status: res.status, body: (await res.json()) as any };
    };
    const none = await get('changes?site=demo');
    assert.is(none.status, 401);
    assert.is(none.body.error.code, 'device_unauthorized');
    const wrong = await get('changes?site=demo', { authorization: deviceAuthHeader('gate:demo:gate-1', 'WRONG') });
    assert.is(wrong.status, 401);
    const other = await get('changes?site=north', testDeviceHeader('demo', 'gate-1'));
    assert.is(other.status, 403);
    assert.is(other.body.error.code, 'wrong_site');
    const stranger = await get('changes?site=demo', testDeviceHeader('demo', 'gate-9'));
    assert.is(stranger.status, 404);
    assert.is(stranger.body.error.code, 'unknown_device');
    assert.match(stranger.body.error.message, /设备不存在：demo\/gate-9/);
    assert.match(stranger.body.error.detail, /设备未登记 .* not provisioned/);
    const ok = await get('changes?site=demo', testDeviceHeader('demo', 'gate-1'));
    assert.is(ok.status, 200);
    assert.ok(Array.isArray(ok.body.changes));
    assert.is((await get('digest?site=demo&after=0')).status, 401);
    assert.is((await get('digest?site=demo&after=0', testDeviceHeader('demo', 'kiosk-1', 'kiosk'))).status, 200);
  } finally {
    await cloud.cleanup();
  }
});

test('HQ issues credentials to administrators, for devices it has provisioned; an issued token signs in', async () => {
  const cloud = await startTestCloud();
  try {
    assert.is((await api(cloud.url, '/api/v1/device-credentials', { body: { site: 'demo', device: 'kiosk-9', role: 'kiosk' } })).status, 404, 'not provisioned yet');
    await provision(cloud.url, 'demo', [{ device: 'kiosk-9', role: 'kiosk' }, { device: 'hub-1', role: 'hub' }]);
    assert.is((await api(cloud.url, '/api/v1/device-credentials', { body: { site: 'demo', device: 'kiosk-9', role: 'gate' } })).status, 409, 'provisioned as a kiosk');
    assert.is((await api(cloud.url, '/api/v1/device-credentials', { body: { site: 'nowhere', device: 'kiosk-9', role: 'kiosk' } })).body.error.code, 'unknown_site');
    const r = await api(cloud.url, '/api/v1/device-credentials', { body: { site: 'demo', device: 'kiosk-9', role: 'kiosk' } });
    assert.is(r.status, 201);
    assert.is(r.body.username, 'kiosk:demo:kiosk-9');
    assert.is(await refused(cloud.mqttUrl, { username: r.body.username, password: r.body.token }), 'connected');
    const hub = await api(cloud.url, '/api/v1/device-credentials', { body: { site: 'demo', device: 'hub-1', role: 'hub' } });
    assert.is(hub.body.siteKey, testSiteKey('demo'));
    assert.is((await api(cloud.url, '/api/v1/device-credentials', { body: { site: 'demo', device: 'x', role: 'hq' } })).status, 400, 'no HQ credentials handed out');
    assert.is((await api(cloud.url, '/api/v1/device-credentials', { body: { site: 'de mo', device: 'x', role: 'gate' } })).status, 400);
    assert.is((await api(cloud.url, '/api/v1/device-credentials', { body: { site: 'demo', device: 'x', role: 'gate' }, token: null })).status, 401);
  } finally {
    await cloud.cleanup();
  }
});

test('a gate without its token stays out; with it, it syncs', async () => {
  const cloud = await startTestCloud();
  await provisionGates(cloud.url, 'demo', [['gate-1', 'lane-1'], ['gate-x', 'lane-x']]);
  const outsider = await startTestGate({ device: 'gate-x', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, token: 'NOTATOKEN' });
  const member = await startTestGate({ device: 'gate-1', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl });
  try {
    await waitFor('member synced', () => member.agent.store.keyring.size > 0 && member.agent.linkState.connected);
    await new Promise((r) => setTimeout(r, 500));
    assert.is(outsider.agent.store.keyring.size, 0, 'no change log without a credential');
    assert.not.ok(outsider.agent.linkState.connected, 'no broker session without a credential');
  } finally {
    await outsider.cleanup();
    await member.cleanup();
    await cloud.cleanup();
  }
});

test('site hub: signs in at HQ with its site key; lets in only its own site\'s devices', async () => {
  const cloud = await startTestCloud();
  await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }, { device: 'gate-1', lanes: ['lane-1'] }, { device: 'test-probe', lanes: ['lane-p'] }]);
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hub-auth-'));
  const hub = new SiteHub(parseHubConfig({
    hub: 'hub-1', site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
    upstream: { mqttUrl: cloud.mqttUrl, cloudUrl: cloud.url }, pullIntervalMs: 300,
  }), testLog.child('hub'));
  await hub.start();
  try {
    await waitFor('hub holds HQ\'s change log', async () => (await fetch(`${hub.url}/api/v1/sync/changes?site=demo`, { headers: testDeviceHeader('demo') })).status === 200);
    assert.is((await fetch(`${hub.url}/api/v1/sync/changes?site=demo`)).status, 401, 'no credential on the LAN');
    const north = issueCredential(Buffer.from(TEST_DEVICE_SECRET, 'hex'), 'gate', 'north', 'gate-1');
    assert.is((await fetch(`${hub.url}/api/v1/sync/changes?site=demo`, { headers: { authorization: deviceAuthHeader(north.username, north.token) } })).status, 401, 'another site\'s gate');
    assert.match(await refused(hub.mqttUrl, {}), /Bad username or password|Not authorized/);
    assert.match(await refused(hub.mqttUrl, { username: north.username, password: north.token }), /Bad username or password|Not authorized/);
    assert.match(await refused(hub.mqttUrl, testDeviceMqtt('demo', 'gate-9')), /Not authorized/, 'a gate HQ has not provisioned, once the hub holds HQ\'s records');
    assert.match(await refused(hub.mqttUrl, { ...testDeviceMqtt('demo', 'gate-9'), clientId: 'gate:demo:gate-1' }), /Identifier rejected/, 'another gate\'s client id on the LAN');
    const gate = await connect(hub.mqttUrl, testDeviceMqtt('demo', 'gate-1'));
    assert.ok(await granted(gate, 'tk/v1/demo/+/up'));
    assert.ok(await droppedFor(gate, 'tk/v1/demo/gate-2/up'), 'another gate\'s name on the LAN: dropped');
    await gate.endAsync(true);
    const g = await startTestGate({ device: 'gate-1', cloudUrl: hub.url, mqttUrl: hub.mqttUrl });
    try {
      await waitFor('gate synced through the hub', () => g.agent.store.keyring.size > 0 && g.agent.linkState.connected);
    } finally {
      await g.cleanup();
    }
  } finally {
    await hub.stop();
    await cloud.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
