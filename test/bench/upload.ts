import { testHqMqtt } from '../support/devices.ts';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import type { Cloud } from '../../cloud/server.ts';
import { type EntryRecord } from '../../shared/sync/messages.ts';
import { topics } from '../../shared/sync/topics.ts';
import { waitFor } from '../support/cloud.ts';
import type { LinkStats } from '../tools/link-sim.ts';
import type { Observer } from './observer.ts';
import { startBenchGate, waitSynced, type BenchGate } from './rig.ts';
import { sleep, traffic, Wan, type Traffic } from './wan.ts';

/** Long enough for the last ack's PUBACK (and anything else in flight) to cross a 150 ms round trip. */
const SETTLE_MS = 600;

export interface UploadResult {
  entries: number;
  /** Bytes on the MQTT line while the entries went up and were acked. */
  line: Traffic;
  /** First batch heard -> last ack heard, seconds. */
  seconds: number;
  /** Per topic kind on the broker: messages, payload bytes, re-sent batches. */
  topics: Record<string, { messages: number; bytes: number; resent?: number }>;
}

async function settled(g: BenchGate | Wan): Promise<void> {
  const wan = 'wan' in g ? g.wan : g;
  await sleep(SETTLE_MS);
  await waitFor('line idle', () => wan.mqtt.stats.inFlight === 0, 10_000, 20);
}

function outboxHead(g: BenchGate): number {
  return (g.gate.agent.store.db.$client.prepare('select coalesce(max(seq), 0) n from outbox').get() as { n: number }).n;
}

/**
 * The gate's own upload path, measured on its MQTT line. Backlog: `entries` recorded straight
 * into the store (GateStore.recordEntry, one durable write each) while the link is up, in one
 * go, so the link drains them in full batches as it does after an outage or a rush. Live:
 * real scans of sold codes through GateAgent.present() at a visitor's pace, each entry
 * pumped at once as the agent does, with the lane status it publishes on the way.
 */
export async function runUpload(cloud: Cloud, observer: Observer, opts: { entries: EntryRecord[]; liveCodes: string[]; livePerSecond: number }): Promise<{ backlog: UploadResult; live: UploadResult }> {
  const g = await startBenchGate(cloud, 'gate-up');
  try {
    await waitSynced(cloud, g);
    await settled(g); // connect-time status and reported mode are not upload traffic

    process.stderr.write(`upload: ${opts.entries.length.toLocaleString('en')} entries recorded into the outbox while the line is up...\n`);
    const store = g.gate.agent.store;
    let before = g.wan.mqtt.stats;
    let t0 = performance.now();
    for (const e of opts.entries) store.recordEntry({ ...e, device: g.device });
    let last = outboxHead(g);
    await waitFor('backlog acked', () => store.ackedUpTo() >= last, 300_000, 20);
    await settled(g);
    const backlog = result(observer, g, opts.entries.length, before, t0);

    process.stderr.write(`upload: ${opts.liveCodes.length} live scans at ${opts.livePerSecond}/s...\n`);
    before = g.wan.mqtt.stats;
    t0 = performance.now();
    let admitted = 0;
    for (const code of opts.liveCodes) {
      const d = await g.gate.agent.present(code);
      if (d.admit) admitted++;
      await sleep(1000 / opts.livePerSecond);
    }
    if (admitted !== opts.liveCodes.length) throw new Error(`live scans: ${admitted}/${opts.liveCodes.length} admitted`);
    last = outboxHead(g);
    await waitFor('live entries acked', () => store.ackedUpTo() >= last, 60_000, 20);
    await settled(g);
    const live = result(observer, g, admitted, before, t0);
    return { backlog, live };
  } finally {
    await g.stop();
  }
}

function result(observer: Observer, g: BenchGate, entries: number, before: LinkStats, t0: number): UploadResult {
  const heard = observer.heard.filter((h) => h.device === g.device && h.at >= t0 && (h.what === 'up' || h.what === 'up/ack'));
  const first = heard.find((h) => h.what === 'up')?.at ?? t0;
  const lastAck = heard.filter((h) => h.what === 'up/ack').at(-1)?.at ?? first;
  return { entries, line: traffic(before, g.wan.mqtt.stats), seconds: (lastAck - first) / 1000, topics: observer.summary(g.device, t0) };
}

/**
 * The naive design, for scale: one JSON message per entry (the EntryRecord plus device,
 * epoch and seq), QoS 1, from a plain mqtt.js client through an identical line. It publishes
 * to a site no gate listens to, on a topic as long as the gate's, so HQ refuses the messages
 * (not a batch) and nothing else moves on the line.
 */
export async function runBaseline(cloud: Cloud, entries: EntryRecord[]): Promise<UploadResult> {
  const wan = new Wan(cloud);
  await wan.start();
  const device = 'gate-up';
  const client = await mqtt.connectAsync(wan.mqttUrl, { clientId: 'bench-baseline', clean: true, protocolVersion: 4, keepalive: 15, ...testHqMqtt('bench-baseline') });
  try {
    await settled(wan);
    process.stderr.write(`baseline: ${entries.length.toLocaleString('en')} entries, one JSON message each...\n`);
    const before = wan.mqtt.stats;
    const t0 = performance.now();
    const epoch = randomUUID();
    const topic = topics.up('base', device);
    await Promise.all(entries.map((e, i) => client.publishAsync(topic, JSON.stringify({ ...e, device, epoch, seq: i + 1 }), { qos: 1 })));
    const t1 = performance.now();
    await settled(wan);
    const payload = entries.reduce((a, e, i) => a + Buffer.byteLength(JSON.stringify({ ...e, device, epoch, seq: i + 1 })), 0);
    return {
      entries: entries.length, line: traffic(before, wan.mqtt.stats), seconds: (t1 - t0) / 1000,
      topics: { up: { messages: entries.length, bytes: payload } },
    };
  } finally {
    await client.endAsync(true);
    await wan.stop();
  }
}
