/**
 * HQ on an external broker (MQTT_URL): Debian's mosquitto 2.x, set up by
 * provisioning/mosquitto/setup.sh, over TLS, with the device accounts HQ keeps in its dynamic
 * security plugin. The MQTT ACL matrix of the built-in broker holds there too; a gate syncs
 * and uploads through it; HQ puts back retained desired modes and lost accounts whenever
 * its session comes back after a broker restart.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ACL_MATRIX_DEVICES, runAclMatrix } from './support/acl-matrix.ts';
import { ADULT, api, startTestCloud, waitFor } from './support/cloud.ts';
import { testDeviceMqtt } from './support/devices.ts';
import { startTestGate } from './support/gate.ts';
import { mosquittoBinary, startMosquitto } from './support/mosquitto.ts';
import { provision } from './support/provision.ts';
import { makeTestPki } from './support/tls.ts';

const HQ = { user: 'hq', password: 'hq-broker-password' };
const available = mosquittoBinary() !== undefined;
// CI installs mosquitto (.ci/run); elsewhere the suite says it was skipped.
const maybe = available || process.env.CI ? test : test.skip;

maybe('mosquitto over TLS: the ACL matrix, a gate that syncs and uploads, retained modes and accounts put back after a restart', async () => {
  const pki = makeTestPki('mosquitto');
  const ca = readFileSync(pki.ca);
  const broker = await startMosquitto({ ...pki.server('broker'), hqUser: HQ.user, hqPassword: HQ.password });
  let cloud: Awaited<ReturnType<typeof startTestCloud>> | undefined;
  let gate: Awaited<ReturnType<typeof startTestGate>> | undefined;
  const connect = (device: string, role: 'gate' | 'kiosk' | 'hub' = 'gate') =>
    mqtt.connectAsync(broker.url, { ...testDeviceMqtt('demo', device, role), clientId: `${role}:demo:${device}`, ca, reconnectPeriod: 0, connectTimeout: 3000 });
  const canConnect = (device: string) => connect(device).then(async (c) => { await c.endAsync(true); return true; }, () => false);
  try {
    cloud = await startTestCloud({ mqttUrl: broker.url, mqttUsername: HQ.user, mqttPassword: HQ.password, mqttCa: pki.ca });
    const url = cloud.url;
    // Only credentials HQ handed out, for devices it provisioned, exist at the broker.
    assert.not.ok(await canConnect('gate-1'), 'a derived token that was never issued');
    await provision(url, 'demo', [...ACL_MATRIX_DEVICES, { device: 'gate-3', role: 'gate', lanes: ['lane-3'] }]);
    for (const { device, role } of [...ACL_MATRIX_DEVICES, { device: 'gate-3', role: 'gate' as const }]) {
      assert.is((await api(url, '/api/v1/device-credentials', { body: { site: 'demo', device, role } })).status, 201);
    }
    await runAclMatrix({ url: broker.url, ca, dropsRefusedPublish: false });

    // A device HQ switches off is disabled at the broker, its session ended; switched on, it is back.
    const gate3 = await connect('gate-3');
    const ended = new Promise<void>((r) => gate3.once('close', () => r()));
    assert.is((await api(url, '/api/v1/sites/demo/devices/gate-3', { method: 'PUT', body: { role: 'gate', lanes: ['lane-3'], active: false } })).status, 200);
    await ended;
    await gate3.endAsync(true);
    assert.not.ok(await canConnect('gate-3'), 'a switched-off gate cannot sign in');
    assert.is((await api(url, '/api/v1/sites/demo/devices/gate-3', { method: 'PUT', body: { role: 'gate', lanes: ['lane-3'] } })).status, 200);
    assert.ok(await canConnect('gate-3'), 'switched on again');

    // A gate through mosquitto: pulls from HQ, uploads an entry that HQ acknowledges.
    gate = await startTestGate({ device: 'gate-1', cloudUrl: url, mqttUrl: broker.url, ca: pki.ca });
    await api(url, '/api/v1/ticket-types', { body: ADULT });
    const t = (await api(url, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } })).body.tickets[0];
    await waitFor('gate has the ticket and its broker session', () => gate!.agent.store.ticket(t.id) && gate!.agent.linkState.connected);
    assert.is((await gate.agent.present(t.code)).admit, true);
    await waitFor('HQ has the entry and acked it', async () => (await api(url, `/api/v1/entries?ticket=${t.id}`)).body.items.length === 1 && gate!.agent.store.outboxSize() === 0);

    // A mode, retained at the broker; the broker restarts with nothing retained and without
    // gate-2's account: HQ's session comes back and puts both back.
    assert.is((await api(url, '/api/v1/sites/demo/mode', { method: 'PUT', body: { mode: 'emergency' } })).status, 200);
    await waitFor('gate in emergency', () => gate!.agent.mode === 'emergency');
    const dynsec = join(broker.dir, 'dynamic-security.json');
    await broker.restart(() => {
      const d = JSON.parse(readFileSync(dynsec, 'utf8'));
      d.clients = d.clients.filter((c: { username: string }) => c.username !== 'gate:demo:gate-2');
      writeFileSync(dynsec, JSON.stringify(d));
    });
    const retained = async () => {
      const c = await connect('watcher', 'hub').catch(() => undefined);
      if (!c) return undefined;
      const got = new Promise<string | undefined>((resolve) => {
        c.once('message', (_t, p) => resolve(p.toString()));
        setTimeout(() => resolve(undefined), 300);
      });
      await c.subscribeAsync('tk/v1/demo/desired', { qos: 1 });
      const body = await got;
      await c.endAsync(true);
      return body && JSON.parse(body).mode;
    };
    assert.is(await waitFor('HQ published the desired mode again, retained', retained, 15_000), 'emergency');
    assert.ok(await waitFor('gate-2\'s account put back', () => canConnect('gate-2'), 15_000));
    await waitFor('the gate is back on the broker', () => gate!.agent.linkState.connected, 15_000);
  } finally {
    await gate?.cleanup();
    await cloud?.cleanup();
    await broker.stop();
    pki.cleanup();
  }
});

maybe('HQ does not start on a broker that will not let it manage accounts, and says what to fix', async () => {
  const pki = makeTestPki('mosquitto-bad');
  const broker = await startMosquitto({ ...pki.server('broker'), hqUser: HQ.user, hqPassword: HQ.password });
  try {
    const err = await startTestCloud({ mqttUrl: broker.url, mqttUsername: HQ.user, mqttPassword: 'not-the-password', mqttCa: pki.ca })
      .then(async (c) => { await c.cleanup(); return 'started'; }, (e: Error) => e.message);
    assert.match(err, /dynamic security plugin.*provisioning\/mosquitto\/setup\.sh.*MQTT_ACCOUNTS=manual/);
  } finally {
    await broker.stop();
    pki.cleanup();
  }
});

test.run();
