/**
 * The MQTT side of the hostile checks, at HQ's built-in broker (the hub's LAN broker uses the
 * same listener): oversized packets before and after CONNECT, silent and slow sockets, a
 * retained message too large to keep, a keep-alive that would never be checked, a flood of
 * sockets. Every answer is a closed socket or a refusal; HQ keeps serving and its memory
 * stays bounded (RSS measured around each barrage).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { Aedes } from 'aedes';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MqttListener, mqttLimitsSchema } from '../shared/net/mqtt-listener.ts';
import { startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { testDeviceMqtt } from './support/devices.ts';
import { provision } from './support/provision.ts';
import { makeTestPki } from './support/tls.ts';

const LIMITS = { mqttConnectTimeoutMs: 600, mqttMaxPacketBytes: 64 * 1024, mqttMaxRetainedBytes: 4096, mqttMaxConnectBytes: 4096 };
const SOCKETS = Number(process.env.HOSTILE_SOCKETS ?? 300);
const MB = 1024 * 1024;
const CLOSE_WITHIN_MS = 5000;
const rssMb = () => process.memoryUsage().rss / MB;

let cloud: Awaited<ReturnType<typeof startTestCloud>>;
test.before(async () => {
  cloud = await startTestCloud(LIMITS);
  // The devices that sign in (each under its own client id, role:site:device).
  await provision(cloud.url, 'demo', [
    ...['gate-ok', 'gate-p', 'gate-r', ...Array.from({ length: 20 }, (_, i) => `big-${i}`)].map((device) => ({ device, lanes: [`lane-${device}`] })),
    { device: 'watcher', role: 'hub' },
  ]);
});
test.after(async () => {
  await cloud?.cleanup();
});

/** A raw TCP socket to HQ's broker that resolves `closed` with how long it stayed open. */
function raw(port = cloud.mqttPort): { socket: Socket; opened: Promise<void>; closed: Promise<number> } {
  const t0 = Date.now();
  const socket = netConnect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const opened = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  // A socket the broker keeps open is a failure, reported, never a hung suite.
  const closed = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the broker kept a hostile socket open for ${CLOSE_WITHIN_MS} ms`));
    }, CLOSE_WITHIN_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
  closed.catch(() => undefined);
  return { socket, opened, closed };
}

/** MQTT 3.1.1 remaining length: 7 bits a byte, low first. */
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}
const str = (s: string) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};
/** A CONNECT with username and password, clean session, keep-alive 30 s. */
function connectPacket(clientId: string, login: { username: string; password: string }): Buffer {
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 30]), str(clientId), str(login.username), str(login.password)]);
  return Buffer.concat([Buffer.from([0x10]), varint(body.length), body]);
}

/** Writes `total` bytes of filler in 64 KB pieces, honouring back-pressure, until done or closed. */
async function stream(socket: Socket, total: number): Promise<number> {
  const piece = Buffer.alloc(64 * 1024, 0x41);
  let sent = 0;
  while (sent < total && !socket.destroyed) {
    sent += piece.length;
    if (!socket.write(piece)) await new Promise((r) => { socket.once('drain', r); socket.once('close', r); });
  }
  return sent;
}

/** Resolves when the client is dropped; rejects if the broker keeps it. */
const dropped = (c: mqtt.MqttClient) => new Promise<void>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`the broker kept the client for ${CLOSE_WITHIN_MS} ms`)), CLOSE_WITHIN_MS);
  c.once('close', () => {
    clearTimeout(timer);
    resolve();
  });
});

const refusedCount = (reason: string) => cloud.brokerStats?.refused[reason] ?? 0;

/** The broker still serves: a gate signs in and publishes its status, which a watcher of the site (a hub) receives. */
async function stillServes(): Promise<void> {
  const watcher = await mqtt.connectAsync(cloud.mqttUrl, { ...testDeviceMqtt('demo', 'watcher', 'hub'), clientId: 'hub:demo:watcher', reconnectPeriod: 0, connectTimeout: 3000 });
  const c = await mqtt.connectAsync(cloud.mqttUrl, { ...testDeviceMqtt('demo', 'gate-ok'), clientId: 'gate:demo:gate-ok', reconnectPeriod: 0, connectTimeout: 3000 });
  const got = new Promise<string>((resolve) => watcher.once('message', (_t, p) => resolve(p.toString())));
  await watcher.subscribeAsync('tk/v1/demo/gate-ok/status', { qos: 1 });
  await c.publishAsync('tk/v1/demo/gate-ok/status', '{"state":"online"}', { qos: 1 });
  assert.is(await got, '{"state":"online"}');
  await c.endAsync(true);
  await watcher.endAsync(true);
}

test(`${SOCKETS} sockets that never send CONNECT are all closed after the CONNECT timeout; memory bounded`, async () => {
  const before = rssMb();
  const baseline = cloud.brokerStats!.connections; // HQ's own session
  const socks = Array.from({ length: SOCKETS }, () => raw());
  await Promise.all(socks.map((s) => s.opened));
  const open = await Promise.all(socks.map((s) => s.closed));
  assert.ok(Math.max(...open) < LIMITS.mqttConnectTimeoutMs + 1500, `all closed by ${Math.max(...open)} ms`);
  assert.ok(Math.min(...open) >= LIMITS.mqttConnectTimeoutMs - 50, 'not before the timeout');
  await waitFor('broker holds none of them', () => cloud.brokerStats!.connections === baseline, 3000);
  const growth = rssMb() - before;
  process.stdout.write(`\n  ${SOCKETS} silent sockets: closed after ${Math.min(...open)}-${Math.max(...open)} ms, RSS ${before.toFixed(0)} -> ${rssMb().toFixed(0)} MB\n`);
  assert.ok(growth < 48, `RSS grew ${growth.toFixed(1)} MB`);
  await stillServes();
});

test('a CONNECT trickled a byte at a time is cut off at the same timeout', async () => {
  const s = raw();
  await s.opened;
  const packet = connectPacket('gate:demo:gate-1', testDeviceMqtt('demo', 'gate-1'));
  let i = 0;
  const timer = setInterval(() => (i < packet.length - 1 && !s.socket.destroyed ? s.socket.write(packet.subarray(i, ++i)) : undefined), 100);
  const ms = await s.closed;
  clearInterval(timer);
  assert.ok(ms < LIMITS.mqttConnectTimeoutMs + 500, `closed after ${ms} ms`);
});

test('before CONNECT: a header announcing 100 MB, another packet first, a malformed length: each closed at once', async () => {
  const cases: [string, Buffer][] = [
    ['connect_too_large', Buffer.concat([Buffer.from([0x10]), varint(100 * MB)])],
    ['first_packet_not_connect', Buffer.concat([Buffer.from([0x30]), varint(10), Buffer.alloc(10)])],
    ['malformed_length', Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01])],
  ];
  for (const [reason, bytes] of cases) {
    const n = refusedCount(reason);
    const s = raw();
    await s.opened;
    s.socket.write(bytes);
    const sent = stream(s.socket, 4 * MB);
    const ms = await s.closed;
    assert.ok(ms < 400, `${reason}: closed after ${ms} ms`);
    assert.ok((await sent) < 4 * MB, `${reason}: the body was not read`);
    assert.is(refusedCount(reason), n + 1, reason);
  }
});

test('signed in: 20 gates each announcing a 100 MB PUBLISH are dropped at the header, memory bounded', async () => {
  const before = rssMb();
  const n = refusedCount('packet_too_large');
  const runs = Array.from({ length: 20 }, async (_, i) => {
    const s = raw();
    await s.opened;
    const acked = new Promise<Buffer>((resolve) => s.socket.once('data', resolve));
    s.socket.write(connectPacket(`gate:demo:big-${i}`, testDeviceMqtt('demo', `big-${i}`)));
    const connack = await acked;
    assert.equal([...connack], [0x20, 0x02, 0x00, 0x00], 'signed in');
    s.socket.write(Buffer.concat([Buffer.from([0x32]), varint(100 * MB), str(`tk/v1/demo/big-${i}/up`), Buffer.from([0, 1])]));
    const sent = await stream(s.socket, 8 * MB);
    await s.closed;
    return sent;
  });
  const sent = await Promise.all(runs);
  assert.ok(sent.every((b) => b < 8 * MB), 'each was cut off before its 8 MB were read');
  assert.is(refusedCount('packet_too_large'), n + 20);
  const growth = rssMb() - before;
  process.stdout.write(`\n  20 x 100 MB announced: ${(sent.reduce((a, b) => a + b, 0) / MB).toFixed(1)} MB sent before the sockets closed, RSS ${before.toFixed(0)} -> ${rssMb().toFixed(0)} MB\n`);
  assert.ok(growth < 48, `RSS grew ${growth.toFixed(1)} MB for 20 x 100 MB announced`);
  await stillServes();
});

test('a PUBLISH just over the packet limit drops the gate; one under it passes', async () => {
  const login = { ...testDeviceMqtt('demo', 'gate-p'), clientId: 'gate:demo:gate-p', reconnectPeriod: 0 };
  const c = await mqtt.connectAsync(cloud.mqttUrl, login);
  await c.publishAsync('tk/v1/demo/gate-p/up', Buffer.alloc(60 * 1024), { qos: 1 });
  const closed = dropped(c);
  c.publish('tk/v1/demo/gate-p/up', Buffer.alloc(70 * 1024), { qos: 1 });
  await closed.finally(() => c.endAsync(true));
});

test('a retained message over its limit is refused and never kept; one under it is kept', async () => {
  const gate = await mqtt.connectAsync(cloud.mqttUrl, { ...testDeviceMqtt('demo', 'gate-r'), clientId: 'gate:demo:gate-r', reconnectPeriod: 0 });
  await gate.publishAsync('tk/v1/demo/gate-r/status', '{"state":"online"}', { qos: 1, retain: true });
  const closed = dropped(gate);
  gate.publish('tk/v1/demo/gate-r/status', Buffer.alloc(8 * 1024, 0x20), { qos: 1, retain: true });
  await closed.finally(() => gate.endAsync(true));
  assert.ok(refusedCount('retained_too_large') >= 1);
  // A newcomer gets the small one, retained; the large one was never taken in.
  const watcher = await mqtt.connectAsync(cloud.mqttUrl, { ...testDeviceMqtt('demo', 'watcher', 'hub'), clientId: 'hub:demo:watcher', reconnectPeriod: 0 });
  const got = new Promise<Buffer>((resolve) => watcher.once('message', (_t, p) => resolve(p)));
  await watcher.subscribeAsync('tk/v1/demo/gate-r/status', { qos: 1 });
  assert.is((await got).toString(), '{"state":"online"}');
  await watcher.endAsync(true);
});

test('a keep-alive of 0 (a silent client never found out) or over the cap is refused', async () => {
  for (const keepalive of [0, 3600]) {
    const err = await mqtt.connectAsync(cloud.mqttUrl, { ...testDeviceMqtt('demo', 'gate-k'), clientId: 'gate:demo:gate-k', keepalive, reconnectPeriod: 0, connectTimeout: 2000 })
      .then(async (c) => { await c.endAsync(true); return 'connected'; }, (e: Error) => e.message);
    assert.is.not(err, 'connected', `keepalive ${keepalive}`);
  }
});

test('listener: sockets beyond maxConnections are closed as they arrive; a silent TLS socket is closed at the timeout', async () => {
  const pki = makeTestPki('hostile');
  const aedes = await Aedes.createBroker();
  const limits = mqttLimitsSchema.parse({ maxConnections: 5, connectTimeoutMs: 400 });
  const plain = new MqttListener({ aedes, host: '127.0.0.1', port: 0, limits, log: testLog });
  const secure = new MqttListener({ aedes, host: '127.0.0.1', port: 0, limits, log: testLog, tls: { cert: readFileSync(pki.server('b').cert), key: readFileSync(pki.server('b').key) } });
  await plain.start();
  await secure.start();
  try {
    const socks = Array.from({ length: 8 }, () => raw(plain.port));
    const open = await Promise.all(socks.map((s) => s.closed));
    assert.is(open.filter((ms) => ms < 200).length, 3, `3 refused at once: ${open.join(', ')}`);
    assert.is(open.filter((ms) => ms >= 350).length, 5, '5 let in, closed at the CONNECT timeout');
    // TCP connected, TLS never started: the handshake timeout.
    const silent = raw(secure.port);
    assert.ok((await silent.closed) < 1500);
    // TLS done, CONNECT never sent: the guard's timer.
    const t0 = Date.now();
    const tls = tlsConnect({ host: '127.0.0.1', port: secure.port, ca: readFileSync(pki.ca) });
    tls.on('error', () => undefined);
    await new Promise((r) => tls.once('secureConnect', r));
    await new Promise((r) => tls.once('close', r));
    assert.ok(Date.now() - t0 < 1500, 'TLS socket without CONNECT closed');
  } finally {
    await new Promise<void>((r) => aedes.close(() => r()));
    await plain.stop();
    await secure.stop();
    pki.cleanup();
  }
});

test.run();
