import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import * as assert from 'uvu/assert';
import { clientIdFor } from '../../shared/auth/device.ts';
import { testDeviceMqtt } from './devices.ts';
import type { DeviceSpec } from './provision.ts';

/** The devices the matrix signs in as, to provision at HQ first (provision(url, 'demo', ACL_MATRIX_DEVICES)). */
export const ACL_MATRIX_DEVICES: (DeviceSpec & { role: 'gate' | 'kiosk' | 'hub' })[] = [
  { device: 'gate-1', role: 'gate', lanes: ['lane-1'] }, { device: 'gate-2', role: 'gate', lanes: ['lane-2'] },
  { device: 'kiosk-1', role: 'kiosk' }, { device: 'hub-1', role: 'hub' }, { device: 'watcher', role: 'hub' },
];

/** A device's own client id (shared/auth/device.ts clientIdFor). */
const own = (role: 'gate' | 'kiosk' | 'hub', device: string) => clientIdFor({ role, site: 'demo', device });

/**
 * The MQTT side of device auth as a matrix any broker must pass: HQ's built-in broker, a site
 * hub's LAN broker, or mosquitto kept by HQ (cloud/mqtt/dynsec.ts). Who may connect (a
 * device HQ provisioned, under its own client id), what each may subscribe to, and what each
 * may publish, judged by what a watcher of the site actually receives. aedes also drops a
 * client that publishes where it may not; mosquitto (MQTT 3.1.1) acknowledges and discards,
 * so "refused" means "never delivered", plus "dropped" where asked.
 *
 * The devices of site demo it signs in as must be provisioned at HQ (and, for mosquitto,
 * have their credentials issued): gates gate-1 and gate-2, kiosk kiosk-1, hubs hub-1 and
 * watcher (see ACL_MATRIX_DEVICES); gate-9 must not be.
 */
export async function runAclMatrix(opts: {
  url: string;
  /** The CA the broker's certificate is checked against (mqtts://). */
  ca?: Buffer;
  /** aedes: a refused publish also ends the connection. */
  dropsRefusedPublish: boolean;
  /** Credential of a site device (site demo); defaults to the test cloud's. */
  credential?: (role: 'gate' | 'kiosk' | 'hub', device: string) => { username: string; password: string };
}): Promise<void> {
  const cred = opts.credential ?? ((role, device) => testDeviceMqtt('demo', device, role));
  const connect = (clientId: string, login: { username?: string; password?: string }): Promise<MqttClient> =>
    mqtt.connectAsync(opts.url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 4000, clientId, ...(opts.ca ? { ca: opts.ca } : {}), ...login });
  const refused = async (clientId: string, login: { username?: string; password?: string }) => {
    try {
      const c = await connect(clientId, login);
      await c.endAsync(true);
      return 'connected';
    } catch (err) {
      return (err as Error).message;
    }
  };
  const NOT_IN = /Bad username or password|Not authorized|Identifier rejected|connack|refused/i;
  const gate1 = own('gate', 'gate-1');

  // Who may connect.
  const good = cred('gate', 'gate-1');
  assert.match(await refused(gate1, {}), NOT_IN, 'no credential');
  assert.match(await refused(gate1, { ...good, password: good.password.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A')) }), NOT_IN, 'a wrong token');
  assert.match(await refused(gate1, { ...good, username: 'gate:north:gate-1' }), NOT_IN, 'the token of another site\'s name');
  assert.match(await refused('hq-guess', { username: 'hq:*:x', password: 'guess' }), NOT_IN, 'a guessed HQ login');
  assert.match(await refused(gate1, cred('gate', 'gate-2')), NOT_IN, 'another gate\'s credential under gate-1\'s client id');
  assert.match(await refused('dev-demo-gate-1', good), NOT_IN, 'a client id that is not the device\'s own');
  assert.match(await refused(own('gate', 'gate-9'), cred('gate', 'gate-9')), NOT_IN, 'a valid token of a device HQ has not provisioned');

  // A watcher of the site (a hub: it may subscribe to anything of its site) sees what is delivered.
  const seen: string[] = [];
  const watcher = await connect(own('hub', 'watcher'), cred('hub', 'watcher'));
  assert.ok(await granted(watcher, 'tk/v1/demo/#'), 'a hub may watch its own site');
  watcher.on('message', (topic, payload) => seen.push(`${topic} ${payload}`));
  const delivered = async (topic: string, payload: string) => {
    for (let i = 0; i < 20; i++) {
      if (seen.includes(`${topic} ${payload}`)) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return false;
  };

  let gate = await connect(gate1, good);
  assert.ok(await granted(gate, 'tk/v1/demo/+/up'), 'siblings\' uploads on its site');
  assert.ok(await granted(gate, 'tk/v1/demo/notify'));
  assert.ok(await granted(gate, 'tk/v1/demo/desired'), 'the site-wide mode');
  assert.ok(await granted(gate, 'tk/v1/demo/gate-1/cmd/req'), 'its own commands');
  assert.ok(await granted(gate, 'tk/v1/demo/gate-1/up/ack'), 'its own acks');
  assert.not.ok(await granted(gate, 'tk/v1/demo/gate-2/cmd/req'), 'another gate\'s commands');
  assert.not.ok(await granted(gate, 'tk/v1/demo/#'), 'the whole site');
  assert.not.ok(await granted(gate, 'tk/v1/north/+/up'), 'another site');
  assert.not.ok(await granted(gate, 'tk/v1/+/gate-1/status'), 'a wildcard over sites');
  assert.not.ok(await granted(gate, '#'));

  /** Publishes at QoS 1; whether the watcher got it, and whether the broker dropped the publisher. */
  const publish = async (client: MqttClient, topic: string) => {
    const payload = JSON.stringify({ probe: randomUUID() });
    let dropped = false;
    client.once('close', () => (dropped = true));
    client.publish(topic, payload, { qos: 1 });
    const got = await delivered(topic, payload);
    if (!got) await new Promise((r) => setTimeout(r, 150));
    return { got, dropped };
  };
  const allowed = async (client: MqttClient, topic: string, what: string) => {
    const r = await publish(client, topic);
    assert.ok(r.got && !r.dropped, `${what}: delivered, still connected`);
  };
  const forbidden = async (login: { username: string; password: string }, clientId: string, client: MqttClient, topic: string, what: string) => {
    const r = await publish(client, topic);
    assert.not.ok(r.got, `${what}: never delivered`);
    if (opts.dropsRefusedPublish) assert.ok(r.dropped, `${what}: dropped`);
    if (r.dropped || !client.connected) {
      await client.endAsync(true);
      return connect(clientId, login);
    }
    return client;
  };

  await allowed(gate, 'tk/v1/demo/gate-1/status', 'its own status');
  await allowed(gate, 'tk/v1/demo/gate-1/up', 'its own upload');
  gate = await forbidden(good, gate1, gate, 'tk/v1/demo/gate-1/desired', 'HQ\'s topic');
  gate = await forbidden(good, gate1, gate, 'tk/v1/demo/gate-2/up', 'another gate\'s name');
  gate = await forbidden(good, gate1, gate, 'tk/v1/demo/notify', 'the doorbell');
  gate = await forbidden(good, gate1, gate, 'tk/v1/demo/gate-1/bundle', 'a bundle (it would speak for its siblings)');
  await gate.endAsync(true);

  // A kiosk: its own presence only.
  const kioskLogin = cred('kiosk', 'kiosk-1');
  let kiosk = await connect(own('kiosk', 'kiosk-1'), kioskLogin);
  assert.ok(await granted(kiosk, 'tk/v1/demo/notify'), 'a kiosk hears the doorbell');
  assert.not.ok(await granted(kiosk, 'tk/v1/demo/+/up'), 'a kiosk does not read the gates\' uploads');
  await allowed(kiosk, 'tk/v1/demo/kiosk-1/status', 'a kiosk\'s own status');
  kiosk = await forbidden(kioskLogin, own('kiosk', 'kiosk-1'), kiosk, 'tk/v1/demo/gate-1/status', 'a kiosk speaking for a gate');
  await kiosk.endAsync(true);

  // A hub relays any device of its site, and nothing of HQ's.
  const hubLogin = cred('hub', 'hub-1');
  let hub = await connect(own('hub', 'hub-1'), hubLogin);
  await allowed(hub, 'tk/v1/demo/gate-2/up', 'a hub relaying a gate\'s upload');
  await allowed(hub, 'tk/v1/demo/gate-2/status', 'a hub relaying a gate\'s status');
  await allowed(hub, 'tk/v1/demo/hub-1/bundle', 'a hub\'s own bundle');
  hub = await forbidden(hubLogin, own('hub', 'hub-1'), hub, 'tk/v1/demo/gate-2/desired', 'a hub posing as HQ');
  hub = await forbidden(hubLogin, own('hub', 'hub-1'), hub, 'tk/v1/demo/watcher/bundle', 'another hub\'s bundle');
  await hub.endAsync(true);
  await watcher.endAsync(true);
}

/** Subscribes and reports whether the broker granted it (SUBACK 128 = refused). */
export async function granted(client: MqttClient, filter: string): Promise<boolean> {
  try {
    const [g] = await client.subscribeAsync(filter, { qos: 1 });
    return g!.qos !== 128;
  } catch (err) {
    if (/Unspecified error|128|Not authorized/i.test((err as Error).message)) return false;
    throw err;
  }
}
