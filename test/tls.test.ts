/**
 * TLS for HTTP and MQTT at HQ and at the site hub: real handshakes with certificates made by
 * provisioning/tls/tls.sh, devices that check the server against the site CA and refuse one
 * they do not trust, the ACL matrix over TLS, and plain text refused beyond loopback.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadCloudConfig } from '../cloud/config.ts';
import { parseHubConfig } from '../edge/hub/config.ts';
import { SiteHub } from '../edge/hub/hub.ts';
import { fetchTrusting } from '../shared/net/fetch.ts';
import { ACL_MATRIX_DEVICES, runAclMatrix } from './support/acl-matrix.ts';
import { startTestCloud, TEST_ADMIN_PASSWORD, testLog, waitFor } from './support/cloud.ts';
import { startTestKiosk } from '../edge/kiosk/testing/kiosk.ts';
import { testDeviceHeader, testDeviceMqtt, testSiteKey } from './support/devices.ts';
import { startTestGate } from './support/gate.ts';
import { provisionIn } from './support/provision.ts';
import { makeTestPki } from './support/tls.ts';

const pki = makeTestPki('site');
const stranger = makeTestPki('stranger'); // a CA the devices were never given
const ca = readFileSync(pki.ca);

// One HQ over TLS for the suite: each test uses devices of its own.
let cloud: Awaited<ReturnType<typeof startTestCloud>>;
test.before(async () => {
  cloud = await startTestCloud({ tlsCert: pki.server('hq').cert, tlsKey: pki.server('hq').key });
  // The devices the tests sign in as (the wary kiosk is never provisioned: it reaches nothing).
  await provisionIn(cloud.ctx!, 'demo', [...ACL_MATRIX_DEVICES, { device: 'kiosk-t', role: 'kiosk' }]);
});

test('HQ over HTTPS and MQTTS: a real handshake; a client that trusts the site CA gets in, others do not', async () => {
  const trusting = fetchTrusting(ca);
  try {
    assert.match(cloud.url, /^https:\/\/127\.0\.0\.1:/);
    assert.match(cloud.mqttUrl, /^mqtts:\/\/127\.0\.0\.1:/);
    const res = await trusting(`${cloud.url}/api/v1/health`);
    assert.is(res.status, 200);
    assert.is(((await res.json()) as { ok: boolean }).ok, true);
    // The handshake itself: TLS 1.2 or newer, the certificate the site CA signed.
    const info = await new Promise<{ protocol: string | null; subject: string }>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: cloud.httpPort, ca, servername: 'localhost' }, () => {
        resolve({ protocol: s.getProtocol(), subject: s.getPeerCertificate().subject.CN as string });
        s.end();
      });
      s.once('error', reject);
    });
    assert.match(info.protocol ?? '', /^TLSv1\.[23]$/);
    assert.is(info.subject, '127.0.0.1');
    // Without the site CA, neither fetch nor MQTT accepts the server.
    await fetch(`${cloud.url}/api/v1/health`).then(() => assert.unreachable('a certificate of an unknown CA was accepted'), (err: Error) => assert.match(String((err.cause as Error)?.message ?? err.message), /self[- ]signed|unable to (verify|get)|certificate/i));
    const strangerFetch = fetchTrusting(readFileSync(stranger.ca));
    await strangerFetch(`${cloud.url}/api/v1/health`).then(() => assert.unreachable('accepted'), () => undefined);
    await strangerFetch.close();
    const mqttErr = await mqtt.connectAsync(cloud.mqttUrl, { ...testDeviceMqtt('demo', 'gate-1'), ca: readFileSync(stranger.ca), reconnectPeriod: 0, connectTimeout: 3000 })
      .then(async (c) => { await c.endAsync(true); return 'connected'; }, (err: Error) => err.message);
    assert.match(mqttErr, /certificate|self[- ]signed|unable to (verify|get)/i);
    const ok = await mqtt.connectAsync(cloud.mqttUrl, { ...testDeviceMqtt('demo', 'gate-1'), clientId: 'gate:demo:gate-1', ca, reconnectPeriod: 0, connectTimeout: 3000 });
    await ok.endAsync(true);
  } finally {
    await trusting.close();
  }
});

test('a gate given the site CA syncs over TLS; a gate given another CA refuses the same server', async () => {
  const good = await startTestGate({ device: 'gate-1', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, ca: pki.ca });
  const wary = await startTestGate({ device: 'gate-2', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, ca: stranger.ca });
  try {
    await waitFor('gate synced over TLS', () => good.agent.store.keyring.size > 0 && good.agent.linkState.connected);
    await new Promise((r) => setTimeout(r, 600));
    assert.is(wary.agent.store.keyring.size, 0, 'no change log from a server it does not trust');
    assert.not.ok(wary.agent.linkState.connected, 'no broker session with a server it does not trust');
  } finally {
    await good.cleanup();
    await wary.cleanup();
  }
});

test('the ACL matrix over TLS at HQ\'s built-in broker', async () => {
  try {
    await runAclMatrix({ url: cloud.mqttUrl, ca, dropsRefusedPublish: true });
  } finally {
  }
});

test('site hub: TLS on the LAN and to HQ; the ACL matrix on its LAN broker; a gate syncs through it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hub-tls-'));
  const hub = new SiteHub(parseHubConfig({
    hub: 'hub-1', site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
    tls: pki.server('hub-1'), upstream: { mqttUrl: cloud.mqttUrl, cloudUrl: cloud.url, ca: pki.ca }, pullIntervalMs: 300,
  }), testLog.child('hub'));
  await hub.start();
  const trusting = fetchTrusting(ca);
  try {
    assert.match(hub.url, /^https:/);
    assert.match(hub.mqttUrl, /^mqtts:/);
    await waitFor('hub upstream over TLS', () => hub.state().upstream);
    await waitFor('hub holds HQ\'s change log', async () => (await trusting(`${hub.url}/api/v1/sync/changes?site=demo`, { headers: testDeviceHeader('demo', 'gate-1') })).status === 200);
    await runAclMatrix({ url: hub.mqttUrl, ca, dropsRefusedPublish: true });
    const g = await startTestGate({ device: 'gate-1', cloudUrl: hub.url, mqttUrl: hub.mqttUrl, ca: pki.ca });
    try {
      await waitFor('gate synced through the hub over TLS', () => g.agent.store.keyring.size > 0 && g.agent.linkState.connected);
    } finally {
      await g.cleanup();
    }
  } finally {
    await trusting.close();
    await hub.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a hub whose upstream CA does not match HQ\'s certificate stays off the WAN', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hub-tls-'));
  const hub = new SiteHub(parseHubConfig({
    hub: 'hub-1', site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
    upstream: { mqttUrl: cloud.mqttUrl, cloudUrl: cloud.url, ca: stranger.ca }, pullIntervalMs: 200,
  }), testLog.child('hub'));
  await hub.start();
  try {
    await waitFor('a pull failed', () => hub.state().pullError);
    assert.match(String(hub.state().pullError), /fetch failed|certificate/i);
    assert.not.ok(hub.state().upstream, 'no MQTT session with an untrusted HQ');
  } finally {
    await hub.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a kiosk given the site CA pulls and shows online over TLS; one given another CA reaches nothing', async () => {
  const k = await startTestKiosk({ device: 'kiosk-t', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, ca: pki.ca, heartbeatMs: 1000 });
  const wary = await startTestKiosk({ device: 'kiosk-w', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, ca: stranger.ca, heartbeatMs: 1000 });
  const trusting = fetchTrusting(ca);
  try {
    const login = await trusting(`${cloud.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }) });
    const { token } = (await login.json()) as { token: string };
    const view = async (device: string) => {
      const res = await trusting(`${cloud.url}/api/v1/devices`, { headers: { authorization: `Bearer ${token}` } });
      return ((await res.json()) as { items: any[] }).items.find((d) => d.device === device);
    };
    await waitFor('kiosk pulled over HTTPS', () => k.agent.store.checkpoint() > 0);
    await waitFor('kiosk online over MQTTS', async () => (await view('kiosk-t'))?.online === true);
    await waitFor('the wary kiosk failed to reach HQ', () => wary.agent.hq.lastError);
    assert.is(wary.agent.store.checkpoint(), 0);
    assert.is(await view('kiosk-w'), undefined, 'never on the broker');
  } finally {
    await trusting.close();
    await k.stop(true);
    await wary.stop(true);
  }
});

test('plain text beyond loopback is refused at start with a message naming what to set', () => {
  const base = { dataDir: '/tmp/x' };
  assert.throws(() => loadCloudConfig({ ...base, httpHost: '0.0.0.0' }, {}), /cloud config: HTTP_HOST: refusing to serve plain text on 0\.0\.0\.0.*TLS_CERT and TLS_KEY.*INSECURE=1/);
  assert.throws(() => loadCloudConfig(base, { HTTP_HOST: '10.0.0.5' }), /HTTP_HOST/);
  assert.throws(() => loadCloudConfig(base, { MQTT_HOST: '10.0.0.5' }), /cloud config: MQTT_HOST: refusing/);
  assert.throws(() => loadCloudConfig(base, { MQTT_URL: 'mqtt://broker.example.com:1883' }), /cloud config: MQTT_URL: refusing to send credentials in plain text/);
  assert.throws(() => loadCloudConfig(base, { TLS_CERT: '/etc/x.crt' }), /tlsCert: give both TLS_CERT and TLS_KEY/);
  assert.is(loadCloudConfig(base, { HTTP_HOST: '10.0.0.5', MQTT_HOST: '10.0.0.5', INSECURE: '1' }).insecure, true);
  assert.is(loadCloudConfig(base, { HTTP_HOST: '0.0.0.0', MQTT_HOST: '0.0.0.0', TLS_CERT: '/a', TLS_KEY: '/b' }).mqttHost, '0.0.0.0', 'MQTT_HOST is read from the environment');
  assert.is(loadCloudConfig(base, {}).httpHost, '127.0.0.1', 'loopback needs nothing');
});

test('HQ with a certificate it cannot read does not start, and says which', async () => {
  await startTestCloud({ tlsCert: join(pki.dir, 'missing.crt'), tlsKey: pki.server('hq').key })
    .then(async (c) => { await c.cleanup(); assert.unreachable('started'); }, (err: Error) => assert.match(err.message, /TLS_CERT\/TLS_KEY certificate: cannot read .*missing\.crt/));
});

test.after(async () => {
  await cloud?.cleanup();
  pki.cleanup();
  stranger.cleanup();
});

test.run();
