/**
 * Malformed, oversized, replayed, out-of-order and forged sync messages, at HQ and at a gate:
 * each is refused with a logged reason and none corrupts a cache, an outbox or HQ's ledger.
 */
import { testDeviceMqtt, testHqMqtt, withGateToken } from './support/devices.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import mqtt, { type MqttClient } from 'mqtt';
import { and, eq } from 'drizzle-orm';
import { deviceStreams, entries } from '../cloud/db/schema/index.ts';
import type { Cloud } from '../cloud/server.ts';
import { GateAgent } from '../edge/gate/agent.ts';
import { parseGateConfig } from '../edge/gate/config.ts';
import { SimScanner } from '../hardware/scanner/sim.ts';
import { SimTurnstile } from '../hardware/turnstile/sim.ts';
import type { Logger } from '../shared/log/logger.ts';
import { changesChecksum } from '../shared/sync/checksum.ts';
import { ticketDigest } from '../shared/sync/digest.ts';
import { type EntryRecord, type UpBatch } from '../shared/sync/messages.ts';
import { topics } from '../shared/sync/topics.ts';
import { entryNonce } from '../shared/sync/nonce.ts';
import { packBatch } from '../shared/sync/pack.ts';
import { LinkSim } from './tools/link-sim.ts';
import { DEFAULT_MQTT_LIMITS } from '../shared/net/mqtt-listener.ts';
import { api, waitFor } from './support/cloud.ts';
import { FakeHq, type FakeTicket } from './support/fake-hq.ts';
import { startBrokerOn, startCloudOn } from './support/fixed-cloud.ts';
import { RecordingLogger } from './support/recording-log.ts';
import { provisionGates } from './support/provision.ts';

const SITE = 'demo';
const UNLIMITED = { code: 'pass', name: '通票', priceFen: 0, validityDays: 1, entries: 0, persons: 1 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The brokers' own packet limit (256 KiB, shared/net/mqtt-listener.ts) would refuse the 2 MB
 * messages below before any receiver saw them; it is raised here so that what is tested is
 * the receivers' own checks, behind a broker that let them through.
 */
const LARGE_PACKETS = { mqttMaxPacketBytes: 8 << 20 };
const zipBomb = () => deflateRawSync(Buffer.alloc(4 << 20)); // ~4 KB that inflates to 4 MB
const twoMegabytes = () => Buffer.alloc(2 << 20, 0x41);
const garbage = Buffer.from([0x00, 0xff, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x6e, 0x6f, 0x74, 0x20, 0x61, 0x20, 0x62, 0x61, 0x74, 0x63, 0x68]);

function entry(ticketId: string | null, lane = 'lane-h'): EntryRecord {
  const now = Date.now();
  return { nonce: randomUUID(), ticketId, persons: 1, lane, venue: 'main', direction: 'in', kind: 'normal', deviceTime: now, correctedTime: now };
}

/** A well-formed batch: one entry per sequence number. */
function batch(device: string, epoch: string, firstSeq: number, lastSeq: number, ticketId: string): UpBatch {
  return { device, epoch, firstSeq, lastSeq, entries: Array.from({ length: lastSeq - firstSeq + 1 }, () => entry(ticketId)) };
}

/** A client with HQ's rights at the broker: what a broken or compromised HQ-side process could send. */
const rawClient = (url: string, clientId: string): Promise<MqttClient> => mqtt.connectAsync(url, { clientId, reconnectPeriod: 0, ...testHqMqtt(clientId) });

/** A gate agent on a data dir the test owns (so it can be restarted on it), logging to `log`. */
async function startGate(dataDir: string, config: Record<string, unknown>, log: Logger): Promise<GateAgent> {
  const parsed = parseGateConfig(withGateToken({ site: SITE, pullIntervalMs: 60_000, ackTimeoutMs: 500, ...config, dataDir }));
  const agent = new GateAgent(parsed, { turnstile: new SimTurnstile({ autoPass: true, passDelayMs: 1 }), scanner: new SimScanner(), log });
  await agent.start();
  return agent;
}

/** Everything a hostile message must not touch. */
function snapshot(agent: GateAgent) {
  const s = agent.store.db.$client;
  return {
    digest: agent.store.cacheDigest(0),
    checkpoint: agent.store.checkpoint(),
    changeLog: agent.store.meta('change_log'),
    ackedUpTo: agent.store.ackedUpTo(),
    outbox: s.prepare('select seq, body from outbox order by seq').all(),
    entries: s.prepare('select * from entries order by nonce').all(),
    desired: agent.store.desired(),
    mode: agent.mode,
    keys: [...agent.store.keyring.keys()].sort(),
  };
}

async function hqEntries(cloud: Cloud, device: string): Promise<string[]> {
  return (await cloud.ctx!.db.select({ nonce: entries.nonce }).from(entries).where(eq(entries.device, device))).map((e) => e.nonce).sort();
}

async function stream(cloud: Cloud, device: string, epoch: string) {
  const [row] = await cloud.ctx!.db.select().from(deviceStreams).where(and(eq(deviceStreams.device, device), eq(deviceStreams.epoch, epoch)));
  return row;
}

/** HQ's acks for one device, as a raw client hears them. */
async function ackListener(url: string, device: string) {
  const client = await rawClient(url, `acks-${device}`.slice(0, 23));
  const acks: { epoch: string; upTo: number }[] = [];
  client.on('message', (_t, p) => acks.push(JSON.parse(p.toString())));
  await client.subscribeAsync(topics.upAck(SITE, device), { qos: 1 });
  return {
    acks,
    of: (epoch: string) => acks.filter((a) => a.epoch === epoch).map((a) => a.upTo),
    close: () => client.endAsync(),
  };
}

test('HQ: garbage, wrong device, zip bomb, 2 MB, replays and out-of-order batches leave the ledger exactly right', async () => {
  const log = new RecordingLogger();
  const cloud = await startCloudOn({ log, config: LARGE_PACKETS });
  await provisionGates(cloud.url, SITE, [['gate-h', 'lane-h'], ['gate-ok', 'lane-1']]);
  const dir = mkdtempSync(join(tmpdir(), 'tk-hostile-'));
  const raw = await rawClient(cloud.mqttUrl, 'hostile-hq');
  const listener = await ackListener(cloud.mqttUrl, 'gate-h');
  let gate: GateAgent | undefined;
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: UNLIMITED });
    const sale = await api(cloud.url, '/api/v1/sales', { body: { type: 'pass', quantity: 2 } });
    const [t1, t2] = sale.body.tickets as [{ id: string; code: string }, { id: string; code: string }];
    const up = topics.up(SITE, 'gate-h');

    /** Publishes, then waits until HQ has logged `msg` about it. */
    const refused = async (payload: Buffer | string, msg: string, where: (f: Record<string, unknown>) => boolean = () => true) => {
      const mark = log.mark;
      await raw.publishAsync(up, payload, { qos: 1 });
      const [r] = await waitFor(`HQ logs "${msg}"`, () => {
        const hits = log.find(msg, (r) => r.level === 'warn' && where(r.fields), mark);
        return hits.length ? hits : undefined;
      });
      return r!;
    };
    /** Publishes a batch, then waits for HQ's ack for its epoch; returns the acked seq. */
    const acked = async (b: UpBatch, form: 'packed' | 'json' = 'packed') => {
      const before = listener.of(b.epoch).length;
      await raw.publishAsync(up, form === 'packed' ? packBatch(b) : JSON.stringify(b), { qos: 1 });
      await waitFor(`ack for ${b.firstSeq}-${b.lastSeq}`, () => listener.of(b.epoch).length > before);
      return listener.of(b.epoch).at(-1)!;
    };

    const g1 = await refused(garbage, 'upload refused: not a valid batch');
    assert.ok(String(g1.fields.issue).length > 0, 'the reason is logged');
    await refused('{"device": "gate-h", "epoch": ', 'upload refused: not a valid batch');
    await refused(JSON.stringify({ device: 'gate-h', epoch: 'nope', firstSeq: 0, lastSeq: -1, entries: 'none' }), 'upload refused: not a valid batch');
    const other = batch('gate-x', randomUUID(), 1, 2, t1.id);
    const wrong = await refused(JSON.stringify(other), 'upload refused: device does not match topic');
    assert.is(wrong.fields.claimed, 'gate-x');
    await refused(packBatch(other), 'upload refused: device does not match topic');
    const bomb = await refused(zipBomb(), 'upload refused: not a valid batch');
    assert.match(String(bomb.fields.issue), /buffer|larger|length|output/i, `zip bomb reason: ${bomb.fields.issue}`);
    const big = await refused(twoMegabytes(), 'upload refused: too large');
    assert.is(big.fields.bytes, 2 << 20);
    assert.equal(await hqEntries(cloud, 'gate-h'), [], 'nothing refused reached the ledger');
    assert.equal(await hqEntries(cloud, 'gate-x'), []);
    assert.is(listener.acks.length, 0, 'nothing refused was acked');

    // A valid batch, delivered three times more: its entries once, the ack the same each time.
    const e1 = randomUUID();
    const once = batch('gate-h', e1, 1, 2, t1.id);
    assert.is(await acked(once), 2);
    for (let i = 0; i < 3; i++) assert.is(await acked(once, i % 2 ? 'json' : 'packed'), 2, `replay ${i + 1}`);

    // Out of order: 5-6 before 1-4. The ack stays below the gap until it is filled.
    const e2 = randomUUID();
    const [b12, b34, b56] = [batch('gate-h', e2, 1, 2, t2.id), batch('gate-h', e2, 3, 4, t2.id), batch('gate-h', e2, 5, 6, t2.id)];
    assert.is(await acked(b56), 0, '5-6 first: nothing contiguous yet');
    assert.is(await acked(b12), 2, '1-2: up to the gap');
    const after34 = await acked(b34);
    assert.ok(after34 === 4 || after34 === 6, `3-4 fills the gap (acked ${after34})`);
    assert.is(await acked(b56), 6, 're-sent 5-6: the whole stream');
    assert.is(await acked(b12), 6, 'an old batch replayed late does not move the ack back');

    const expected = [...once.entries, ...b12.entries, ...b34.entries, ...b56.entries].map((e) => e.nonce).sort();
    assert.equal(await hqEntries(cloud, 'gate-h'), expected, 'each entry exactly once');
    assert.is((await stream(cloud, 'gate-h', e1))?.ackedUpTo, 2);
    assert.is((await stream(cloud, 'gate-h', e2))?.ackedUpTo, 6);
    assert.is((await cloud.ctx!.db.select().from(deviceStreams).where(eq(deviceStreams.device, 'gate-x'))).length, 0, 'no stream for a device that never sent');
    assert.is(log.find('ingest failed').length, 0, 'nothing hostile got as far as the database');

    // HQ still works: a real gate's upload lands.
    gate = await startGate(join(dir, 'gate'), { device: 'gate-ok', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl }, log.child('gate-ok'));
    await waitFor('gate has the key', () => gate!.store.keyring.size > 0);
    const d = await gate.present(t1.code);
    assert.ok(d.admit, d.reason);
    await waitFor('entry at HQ', async () => (await hqEntries(cloud, 'gate-ok')).length === 1);
    await waitFor('gate outbox drained', () => gate!.store.outboxSize() === 0);
    assert.equal(await hqEntries(cloud, 'gate-h'), expected, 'the ledger is as it was');
  } finally {
    await gate?.stop();
    await listener.close();
    await raw.endAsync();
    await cloud.stop();
    rmSync(cloud.config.dataDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HQ: a batch whose sequence range does not match its entries is refused, and does not move the stream watermark', async () => {
  const log = new RecordingLogger();
  const cloud = await startCloudOn({ log, config: LARGE_PACKETS });
  await provisionGates(cloud.url, SITE, [['gate-w', 'lane-h']]);
  const raw = await rawClient(cloud.mqttUrl, 'hostile-range');
  const listener = await ackListener(cloud.mqttUrl, 'gate-w');
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: UNLIMITED });
    const t = (await api(cloud.url, '/api/v1/sales', { body: { type: 'pass', quantity: 1 } })).body.tickets[0];
    const epoch = randomUUID();
    // One entry claiming seqs 1..1000, and no entry claiming 1001..5000: HQ must not believe either.
    const sparse: UpBatch = { device: 'gate-w', epoch, firstSeq: 1, lastSeq: 1000, entries: [entry(t.id)] };
    const empty: UpBatch = { device: 'gate-w', epoch, firstSeq: 1001, lastSeq: 5000, entries: [] };
    const mark = log.mark;
    for (const b of [sparse, empty]) await raw.publishAsync(topics.up(SITE, 'gate-w'), packBatch(b), { qos: 1 });
    // HQ handles messages in order: once a sentinel from another stream is acked, both were handled.
    const sentinel = batch('gate-w', randomUUID(), 1, 1, t.id);
    await raw.publishAsync(topics.up(SITE, 'gate-w'), packBatch(sentinel), { qos: 1 });
    await waitFor('sentinel acked', () => listener.of(sentinel.epoch).length > 0);

    const row = await stream(cloud, 'gate-w', epoch);
    const acks = listener.of(epoch);
    // Were the real gate's seqs 2..1000 still on their way, an ack of 1000 (or 5000) would make it
    // forget them from its outbox: HQ would have acknowledged entries it never received.
    assert.ok((row?.ackedUpTo ?? 0) <= 1, `HQ's watermark for the stream claims seqs up to ${row?.ackedUpTo} but holds 1 entry`);
    assert.ok(acks.every((a) => a <= 1), `HQ acked up to ${Math.max(...acks)} having received 1 entry`);
    assert.ok(log.find('upload refused', (r) => r.level === 'warn', mark).length >= 1, 'the refusal is logged');
  } finally {
    await listener.close();
    await raw.endAsync();
    await cloud.stop();
    rmSync(cloud.config.dataDir, { recursive: true, force: true });
  }
});

/** A fake HQ whose log holds a key, a type and four tickets (one revoked). */
function fakeLog(hq: FakeHq) {
  const id = () => randomUUID();
  const t = { a: hq.ticket(id()), b: hq.ticket(id()), revoked: hq.ticket(id()), group: hq.ticket(id(), { persons: 4 }) };
  hq.add(hq.keyChange(), { kind: 'type', typeId: 1, rules: { kind: 'visitor', faceRequired: false } });
  for (const x of Object.values(t)) hq.add({ kind: 'ticket', ticket: x.row });
  hq.add({ kind: 'revoke', ticketId: t.revoked.row.id, reason: 'lost' });
  return t;
}

test('gate: garbage, oversized and wrong-shape messages on its topics change nothing, each with a logged reason', async () => {
  const log = new RecordingLogger();
  const hq = new FakeHq();
  const t = fakeLog(hq);
  await hq.start();
  // A broker with no HQ behind it: nothing acks, so the gate's outbox stays as it is.
  const broker = await startBrokerOn(0, undefined, { ...DEFAULT_MQTT_LIMITS, maxPacketBytes: LARGE_PACKETS.mqttMaxPacketBytes });
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const dir = mkdtempSync(join(tmpdir(), 'tk-hostile-'));
  const gate = await startGate(dir, { device: 'gate-g', cloudUrl: hq.url, mqttUrl: url }, log.child('gate-g'));
  const raw = await rawClient(url, 'hostile-gate');
  try {
    await waitFor('gate synced and connected', () => gate.store.checkpoint() === hq.head && gate.linkState.connected);
    assert.is((await gate.present(t.a.code)).admit, true);
    assert.is((await gate.present(t.group.code, { persons: 2 })).admit, true);
    assert.is((await gate.present(t.revoked.code)).reason, 'revoked');
    await waitFor('batches sent', () => gate.store.outboxSize() === 2);
    await sleep(300);
    const before = snapshot(gate);
    assert.is(before.outbox.length, 2);

    const mark = log.mark;
    const other = randomUUID();
    const sends: [string, Buffer | string, string][] = [
      [topics.notify(SITE), garbage, 'ignored message that is not JSON'],
      [topics.notify(SITE), twoMegabytes(), 'ignored oversized message'],
      [topics.siteDesired(SITE), JSON.stringify({ mode: 'party', version: 1e9 }), 'ignored malformed desired mode'],
      [topics.desired(SITE, 'gate-g'), '[]', 'ignored malformed desired mode'],
      [topics.desired(SITE, 'gate-g'), garbage, 'ignored message that is not JSON'],
      [topics.cmdReq(SITE, 'gate-g'), JSON.stringify({ id: 'x', name: 'format-disk' }), 'ignored malformed command'],
      [topics.cmdReq(SITE, 'gate-g'), zipBomb(), 'ignored message that is not JSON'],
      [topics.upAck(SITE, 'gate-g'), JSON.stringify({ epoch: gate.store.epoch, upTo: 'everything' }), 'ignored malformed ack'],
      [topics.upAck(SITE, 'gate-g'), JSON.stringify({ epoch: gate.store.epoch, upTo: -5 }), 'ignored malformed ack'],
      [topics.upAck(SITE, 'gate-g'), twoMegabytes(), 'ignored oversized message'],
      [topics.up(SITE, 'gate-s'), garbage, 'ignored malformed sibling batch'],
      [topics.up(SITE, 'gate-s'), zipBomb(), 'ignored malformed sibling batch'],
      [topics.up(SITE, 'gate-s'), twoMegabytes(), 'ignored oversized message'],
      [topics.up(SITE, 'gate-s'), JSON.stringify(batch('gate-z', other, 1, 1, t.b.row.id)), 'ignored malformed sibling batch'],
      [topics.up(SITE, 'gate-s'), packBatch(batch('gate-z', other, 1, 1, t.b.row.id)), 'ignored malformed sibling batch'],
    ];
    for (const [topic, payload] of sends) await raw.publishAsync(topic, payload, { qos: 1 });
    // An ack for another epoch (another life of this gate's database) is not for this outbox.
    await raw.publishAsync(topics.upAck(SITE, 'gate-g'), JSON.stringify({ epoch: other, upTo: 1e9 }), { qos: 1 });
    // Its own upload topic, written by someone else: not a sibling's, ignored.
    await raw.publishAsync(topics.up(SITE, 'gate-g'), packBatch(batch('gate-g', other, 1, 1, t.b.row.id)), { qos: 1 });

    const expected = new Map<string, number>();
    for (const [, , msg] of sends) expected.set(msg, (expected.get(msg) ?? 0) + 1);
    await waitFor('every hostile message logged', () =>
      [...expected].every(([msg, n]) => log.find(msg, (r) => r.level === 'warn', mark).length >= n), 10_000).catch((err) => {
      const seen = Object.fromEntries([...expected.keys()].map((m) => [m, log.find(m, undefined, mark).length]));
      throw new Error(`${(err as Error).message}: wanted ${JSON.stringify(Object.fromEntries(expected))}, saw ${JSON.stringify(seen)}`);
    });
    const sibling = log.find('ignored malformed sibling batch', undefined, mark).map((r) => String(r.fields.err));
    assert.ok(sibling.some((e) => /gate-z/.test(e)), `the device mismatch is named: ${sibling.join(' | ')}`);
    await sleep(500); // let the notify's pull and anything else still in flight settle

    assert.equal(snapshot(gate), before, 'cache, checkpoint, outbox, passage log and mode unchanged');
    assert.is(gate.linkState.connected, true);
    // And the gate still decides as before.
    assert.is((await gate.present(t.a.code)).reason, 'used');
    assert.is((await gate.present(t.revoked.code)).reason, 'revoked');
    const g = await gate.present(t.group.code);
    assert.is(g.admit, true);
    assert.is(g.persons, 2, 'the two left of the group');
    assert.is((await gate.present(t.b.code)).admit, true);
    assert.is((await gate.present(t.b.code)).reason, 'used');
    assert.is(gate.store.outboxSize(), 4);
  } finally {
    await raw.endAsync();
    await gate.stop();
    await broker.stop();
    await hq.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gate: bad change-log batches are never applied; a reset drops the cache but keeps the passage log and outbox', async () => {
  const log = new RecordingLogger();
  const hq = new FakeHq();
  const t = fakeLog(hq);
  await hq.start();
  const dir = mkdtempSync(join(tmpdir(), 'tk-hostile-'));
  // No broker: the outbox stays, and pulls happen only when the test asks.
  const gate = await startGate(dir, { device: 'gate-d', cloudUrl: hq.url, mqttUrl: 'mqtt://127.0.0.1:9' }, log.child('gate-d'));
  try {
    await waitFor('first pull applied', () => gate.store.checkpoint() === hq.head);
    assert.is((await gate.present(t.a.code)).admit, true);
    const before = snapshot(gate);
    assert.is(before.outbox.length, 1);

    const c = hq.ticket(randomUUID());
    hq.add({ kind: 'ticket', ticket: c.row }, { kind: 'revoke', ticketId: t.b.row.id, reason: 'refunded' });
    const since = before.checkpoint;
    const pullFailed = (mark: number) => log.find('pull failed; will retry', (r) => r.level === 'warn', mark).map((r) => String(r.fields.err));
    const bad: [string, (since: number) => unknown, RegExp][] = [
      ['wrong checksum', (s) => ({ ...hq.page(s), checksum: 'f'.repeat(32) }), /checksum/],
      ['fails the schema (a bad ticket among good changes)', (s) => {
        const page = hq.page(s);
        const changes = [...page.changes, { seq: hq.head + 1, kind: 'ticket', ticket: { ...c.row, id: 'not-a-uuid' } }];
        return { ...page, next: hq.head + 1, changes, checksum: changesChecksum(changes) };
      }, /uuid|pattern|invalid/i],
      ['an unknown change kind', (s) => {
        const page = hq.page(s);
        const changes = [...page.changes, { seq: hq.head + 1, kind: 'wipe', all: true }];
        return { ...page, next: hq.head + 1, changes, checksum: changesChecksum(changes) };
      }, /kind|invalid|discriminator/i],
      ['a since mismatch', (s) => ({ ...hq.page(s), since: s - 1 }), /since=/],
      ['not JSON', () => new Response('<html>proxy error</html>', { status: 200, headers: { 'content-type': 'text/html' } }), /JSON|token|Unexpected/i],
      ['HTTP 500', () => new Response('{"error":{"code":"boom"}}', { status: 500 }), /HTTP 500/],
    ];
    for (const [what, answer, reason] of bad) {
      hq.answerOnce(answer);
      const mark = log.mark;
      await gate.sync();
      const errs = pullFailed(mark);
      assert.is(errs.length, 1, `${what}: the failure is logged once`);
      assert.match(errs[0]!, reason, `${what}: ${errs[0]}`);
      const now = snapshot(gate);
      assert.is(now.checkpoint, since, `${what}: checkpoint unchanged`);
      assert.equal(now, before, `${what}: nothing applied`);
      assert.is(gate.store.ticket(c.row.id), undefined, `${what}: the new ticket is not in the cache`);
    }

    // The honest batch after all that is applied.
    await gate.sync();
    assert.is(gate.store.checkpoint(), hq.head);
    assert.ok(gate.store.ticket(c.row.id));
    assert.is((await gate.present(t.b.code)).reason, 'revoked');

    // HQ's log changed identity (restored elsewhere): reset, then the new log from 0.
    const d = hq.ticket(randomUUID());
    const kept = snapshot(gate);
    hq.logId = 'fake-log-2';
    hq.changes = [];
    hq.add(hq.keyChange(), { kind: 'type', typeId: 1, rules: { kind: 'visitor', faceRequired: false } }, { kind: 'ticket', ticket: t.group.row }, { kind: 'ticket', ticket: d.row });
    hq.answerOnce((s) => ({ log: 'fake-log-2', reset: true, since: s, next: 0, more: true, serverTime: Date.now(), changes: [], checksum: changesChecksum([]) }));
    const mark = log.mark;
    await gate.sync();
    assert.is(log.find('HQ says start over', (r) => r.level === 'warn', mark).length, 1, 'the reset is logged');
    const after = snapshot(gate);
    assert.is(after.changeLog, 'fake-log-2');
    assert.is(after.checkpoint, hq.head);
    assert.equal(after.digest, ticketDigest([t.group.row, d.row].map((r) => ({ ...r, revoked: '' }))), 'the cache is the new log, nothing of the old');
    assert.equal(after.outbox, kept.outbox, 'the outbox survives a reset');
    assert.equal(after.entries, kept.entries, 'the passage log survives a reset');
    assert.equal(after.keys, kept.keys, 'keys stay: codes they signed stay verifiable');
    assert.is(gate.store.ticket(c.row.id), undefined);
    // Ticket A's entry still counts: a single-entry ticket is used, reset or not.
    assert.is((await gate.present(t.a.code)).reason, 'used');
    assert.is((await gate.present(d.code)).admit, true);
  } finally {
    await gate.stop();
    await hq.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Another device of the site (a stolen or tampered gate) hears a gate's epoch on the site's
// uploads and can work out the nonces of its next entries; the broker must not let it speak
// under that gate's name.
test('HQ: a batch forged under another gate\'s name is refused by the broker and displaces nothing', async () => {
  const log = new RecordingLogger();
  const cloud = await startCloudOn({ log, config: LARGE_PACKETS });
  const dir = mkdtempSync(join(tmpdir(), 'tk-hostile-'));
  await provisionGates(cloud.url, SITE, [['gate-n', 'lane-1'], ['gate-x', 'lane-x']]);
  const raw = await mqtt.connectAsync(cloud.mqttUrl, { clientId: 'gate:demo:gate-x', reconnectPeriod: 0, ...testDeviceMqtt(SITE, 'gate-x') });
  let dropped = false;
  raw.on('close', () => (dropped = true));
  let gate: GateAgent | undefined;
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: UNLIMITED });
    const [real, other] = (await api(cloud.url, '/api/v1/sales', { body: { type: 'pass', quantity: 2 } })).body.tickets as [{ id: string; code: string }, { id: string; code: string }];
    gate = await startGate(join(dir, 'gate'), { device: 'gate-n', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl }, log.child('gate-n'));
    await waitFor('gate synced', () => gate!.store.keyring.size > 0 && gate!.linkState.connected);
    // Anyone on the broker hears the gate's epoch (every batch carries it, every sibling
    // subscribes to the site's uploads) and can work out the nonces of its next entries.
    const epoch = gate.store.epoch;
    const forged: UpBatch = { device: 'gate-n', epoch, firstSeq: 1, lastSeq: 3,
      entries: [1, 2, 3].map((seq) => ({ ...entry(other.id, 'forged'), nonce: entryNonce('gate-n', epoch, seq) })) };
    raw.publish(topics.up(SITE, 'gate-n'), packBatch(forged), { qos: 1 });
    await waitFor('the broker drops the forger', () => dropped);
    assert.is((await hqEntries(cloud, 'gate-n')).length, 0, 'nothing of the forged batch reached HQ');

    for (let i = 0; i < 3; i++) assert.ok((await gate.present(real.code)).admit);
    await waitFor('outbox drained', () => gate!.store.outboxSize() === 0);
    await sleep(500);
    const mine = (gate.store.db.$client.prepare('select nonce, ticket_id ticketId, lane from entries where device = ? order by nonce').all('gate-n')) as { nonce: string; ticketId: string; lane: string }[];
    const held = (await cloud.ctx!.db.select({ nonce: entries.nonce, ticketId: entries.ticketId, lane: entries.lane }).from(entries)
      .where(eq(entries.device, 'gate-n'))).sort((a, b) => a.nonce.localeCompare(b.nonce));
    assert.is(mine.length, 3);
    assert.equal(held.filter((e) => mine.some((m) => m.nonce === e.nonce)), mine, 'HQ holds what the gate admitted (ticket, lane) under its nonces, not what a stranger sent first');
  } finally {
    await gate?.stop();
    await raw.endAsync(true);
    await cloud.stop();
    rmSync(cloud.config.dataDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gate: a forged ack (upTo far beyond what was sent) loses no entry', async () => {
  const log = new RecordingLogger();
  const cloud = await startCloudOn({ log: log.child('hq'), config: LARGE_PACKETS });
  await provisionGates(cloud.url, SITE, [['gate-f', 'lane-1']]);
  // The gate's up-link is slow: its batches are still on the line when the forged ack arrives.
  const mqttLink = new LinkSim({ target: { host: '127.0.0.1', port: cloud.mqttPort } });
  await mqttLink.start();
  const dir = mkdtempSync(join(tmpdir(), 'tk-hostile-'));
  const config = { device: 'gate-f', cloudUrl: cloud.url, mqttUrl: `mqtt://127.0.0.1:${mqttLink.port}`, pullIntervalMs: 500, ackTimeoutMs: 500 };
  let gate = await startGate(dir, config, log.child('gate-f'));
  const raw = await rawClient(cloud.mqttUrl, 'hostile-ack');
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: UNLIMITED });
    const code = (await api(cloud.url, '/api/v1/sales', { body: { type: 'pass', quantity: 1 } })).body.tickets[0].code;
    await waitFor('gate synced', () => gate.store.keyring.size > 0 && gate.linkState.connected);
    await sleep(300); // its subscriptions are in place

    mqttLink.set({ upKbps: 1 });
    const forge = () => raw.publishAsync(topics.upAck(SITE, 'gate-f'), JSON.stringify({ epoch: gate.store.epoch, upTo: 1_000_000 }), { qos: 1 });
    for (let i = 0; i < 10; i++) assert.ok((await gate.present(code)).admit);
    await forge();
    await sleep(100);
    await forge(); // again, for what the first one let through the window
    await sleep(100);
    const outboxAfterForgery = gate.store.outboxSize();
    const atHqThen = (await hqEntries(cloud, 'gate-f')).length;

    // The line drops and the gate restarts (a reboot, a power cut) before those batches arrived.
    mqttLink.cut();
    await waitFor('link down', () => !gate.linkState.connected);
    await gate.stop();
    mqttLink.set({ upKbps: undefined });
    mqttLink.restore();
    gate = await startGate(dir, config, log.child('gate-f'));
    await waitFor('link up again', () => gate.linkState.connected);
    await sleep(2000); // several ack timeouts: anything still queued would have been re-sent

    const logged = (gate.store.db.$client.prepare('select nonce from entries where device = ?').all('gate-f') as { nonce: string }[]).map((e) => e.nonce).sort();
    const atHq = await hqEntries(cloud, 'gate-f');
    assert.is(logged.length, 10);
    assert.equal(atHq, logged, `the gate logged ${logged.length} entries, HQ holds ${atHq.length}, the outbox holds ${gate.store.outboxSize()} ` +
      `(after the forged ack: ${outboxAfterForgery} queued, ${atHqThen} at HQ)`);
  } finally {
    await raw.endAsync();
    await gate.stop();
    await mqttLink.stop();
    await cloud.stop();
    rmSync(cloud.config.dataDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
