import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud/server.ts';
import { ingestBatch } from '../../cloud/entries/ingest.ts';
import { ingestBatchBaseline } from './ingest-baseline.ts';
import { provisionIn } from '../support/provision.ts';
import { Progress } from '../../edge/gate/bench/stats.ts';
import type { EntryRecord, UpBatch } from '../../shared/sync/messages.ts';
import { packBatch, unpackBatch } from '../../shared/sync/pack.ts';
import { api, freshPostgres, waitFor } from '../support/cloud.ts';
import { Observer } from './observer.ts';
import { entriesAtHq, startBenchGate, streamAckedAtHq, waitSynced, type BenchHq } from './rig.ts';
import { startHqProcess, type HqProcess } from './hq-process.ts';
import { startProfile } from './profile.ts';
import { sellTickets, TICKET_TYPES } from './fanout.ts';
import type { PoolTicket } from './entries.ts';
import { sleep, traffic, type Traffic } from './wan.ts';

export interface CatchupResult {
  entries: number;
  /** restore() -> the gate's MQTT session is up again. */
  reconnectS: number;
  /** restore() -> HQ committed them all (its ack of the last heard on its broker; its watermark and entries checked after). */
  catchupS: number;
  /** restore() -> the gate has every ack (its outbox is empty). */
  drainedS: number;
  line: Traffic;
  topics: Record<string, { messages: number; bytes: number; resent?: number }>;
  /** restore() -> HQ's first ack heard on its broker (the reconnect, the first batch's trip and its ingest). */
  firstAckS: number;
  /** Gaps between acks heard on the broker, ms: the pace HQ and the window allow. */
  ackGapP50Ms: number;
  ackGapMaxMs: number;
  /** CPU seconds from restore() to HQ's last ack: HQ's process (undefined in this one), and this one (the gate, its line, the observer). */
  hqCpuS: number | undefined;
  benchCpuS: number;
}

/**
 * The catch-up's HQ: in a child process, as HQ is another machine in production (see
 * hq-process.ts; in the bench's process its ingest took turns with the gate and the line
 * simulator on one event loop), on a fresh database (of the Postgres server when `postgres`),
 * with the bench's ticket types and `tickets` tickets sold for the entries to name.
 */
export async function startCatchupHq(tickets: number, postgres: boolean): Promise<{ hq: HqProcess; pool: PoolTicket[]; stop(): Promise<void> }> {
  const pg = postgres ? await freshPostgres() : undefined;
  if (postgres && !pg) throw new Error('BENCH_POSTGRES=1 needs TEST_DATABASE_URL (test/support/postgres.sh)');
  const hq = await startHqProcess(pg ? { databaseUrl: pg.url } : {});
  const stop = async () => {
    await hq.stop();
    await pg?.drop();
  };
  try {
    for (const t of TICKET_TYPES) {
      const res = await api(hq.url, '/api/v1/ticket-types', { body: t });
      if (res.status !== 201) throw new Error(`ticket type ${t.code}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    const { pool } = await sellTickets(hq, tickets);
    return { hq, pool, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A gate that was cut off while a rush went through: `entries` wait in its outbox (written
 * in transactions of 1,000 to save the bench a minute of fsyncs; the rows are the same),
 * then the line comes back. Timed from restore() until HQ's entries table holds them all.
 */
export async function runCatchup(hq: BenchHq, entries: EntryRecord[]): Promise<CatchupResult> {
  const observer = new Observer(hq.mqttUrl);
  await observer.start();
  const g = await startBenchGate(hq, 'gate-cu').catch(async (err) => {
    await observer.stop();
    throw err;
  });
  try {
    await waitSynced(hq, g);
    await sleep(600);
    g.wan.cut();
    const agent = g.gate.agent;
    await waitFor('link down', () => !agent.linkState.connected, 10_000, 20);
    const store = agent.store;
    const progress = new Progress('catchup: queuing while cut', entries.length);
    for (let i = 0; i < entries.length; i += 1000) {
      store.db.$client.transaction(() => {
        // On the gate's own lane: HQ takes them as entries (use counted, over-use checked, channels
        // told), the path a real catch-up takes, not the refusal path of a foreign lane.
        for (const e of entries.slice(i, i + 1000)) store.recordEntry({ ...e, device: g.device, lane: g.lane });
      })();
      progress.update(Math.min(entries.length, i + 1000));
    }
    if (store.outboxSize() !== entries.length) throw new Error(`outbox holds ${store.outboxSize()}, expected ${entries.length}`);
    const last = (store.db.$client.prepare('select max(seq) n from outbox').get() as { n: number }).n;

    const before = g.wan.mqtt.stats;
    const profile = await startProfile(process.env.BENCH_PROFILE);
    const hqProfile = 'queries' in hq && process.env.BENCH_PROFILE ? await hq.profile(`${process.env.BENCH_PROFILE.replace(/\.cpuprofile$/, '')}-hq.cpuprofile`) : undefined;
    const hqCpu0 = 'queries' in hq ? await hq.cpuSeconds() : undefined;
    const ownCpu0 = process.cpuUsage();
    const t0 = performance.now();
    g.wan.restore();
    let reconnectAt = 0;
    let drainedAt = 0;
    let doneAt = 0;
    const progressHq = new Progress('catchup: at HQ (acked seq)', last);
    while (!doneAt || !drainedAt) {
      const now = performance.now();
      if (!reconnectAt && agent.linkState.connected) reconnectAt = now;
      if (!drainedAt && store.ackedUpTo() >= last) drainedAt = now;
      if (!doneAt) {
        // HQ's ack of the last entry, heard on its broker: published once the transaction that
        // stores them committed. (Polling HQ's database every 50 ms took HQ's CPU from the
        // ingest being timed and rounded the time up to the poll.)
        doneAt = observer.ackedAt(g.device, store.epoch, last, t0) ?? 0;
        progressHq.update(observer.heard.findLast((h) => h.device === g.device && h.what === 'up/ack')?.upTo ?? 0);
      }
      if (now - t0 > 600_000) throw new Error('catchup: not done after 600 s');
      await sleep(50);
    }
    const ownCpu = process.cpuUsage(ownCpu0);
    const hqCpuS = 'queries' in hq && hqCpu0 !== undefined ? (await hq.cpuSeconds()) - hqCpu0 : undefined;
    await profile?.stop();
    await hqProfile?.stop();
    await sleep(600);
    const watermark = await streamAckedAtHq(hq, g.device, store.epoch);
    if (watermark < last) throw new Error(`catchup: HQ acked ${last} but its stream is at ${watermark}`);
    const stored = await entriesAtHq(hq, g.device);
    if (stored !== entries.length) throw new Error(`catchup: HQ holds ${stored} of ${entries.length} entries (stored or refused)`);
    const acks = observer.acks(g.device, t0);
    const gaps = acks.slice(1).map((a, i) => a - acks[i]!).sort((a, b) => a - b);
    return {
      entries: entries.length, reconnectS: (reconnectAt - t0) / 1000, catchupS: (doneAt - t0) / 1000, drainedS: (drainedAt - t0) / 1000,
      line: traffic(before, g.wan.mqtt.stats), topics: observer.summary(g.device, t0),
      firstAckS: ((acks[0] ?? doneAt) - t0) / 1000, ackGapP50Ms: Math.round(gaps[Math.floor(gaps.length / 2)] ?? 0), ackGapMaxMs: Math.round(gaps.at(-1) ?? 0),
      hqCpuS, benchCpuS: (ownCpu.user + ownCpu.system) / 1e6,
    };
  } finally {
    await g.stop();
    await observer.stop();
  }
}

/**
 * HQ's side alone, no line: how long ingesting one batch takes in this database, the current
 * ingest against the one before issue 18 (test/bench/ingest-baseline.ts), alternating batch
 * by batch so both see the same load. The probe device is provisioned for the entries'
 * lanes, so they take the path real entries take (not the refusal path). HQ takes batches off
 * the broker one at a time, so this bounds the ack rate whatever the line.
 */
export async function probeIngest(cloud: Cloud, batches: EntryRecord[][]): Promise<{ unpackMs: number; ingestMs: number; baselineMs: number; ingestMinMs: number; baselineMinMs: number }> {
  const lanes = [...new Set(batches.flat().map((e) => e.lane))];
  await provisionIn(cloud.ctx!, 'demo', [{ device: 'probe', lanes }, { device: 'probe-base', lanes: lanes.map((l) => `${l}-b`) }]);
  const epoch = randomUUID();
  const baseEpoch = randomUUID();
  let seq = 1;
  const unpack: number[] = [];
  const ours: number[] = [];
  const base: number[] = [];
  for (const entries of batches) {
    const batch: UpBatch = { device: 'probe', epoch, firstSeq: seq, lastSeq: seq + entries.length - 1, entries };
    // The same entries for the baseline, under other nonces, lanes and tickets' ids left alike.
    const twin: UpBatch = { device: 'probe-base', epoch: baseEpoch, firstSeq: seq, lastSeq: batch.lastSeq, entries: entries.map((e) => ({ ...e, nonce: randomUUID(), lane: `${e.lane}-b` })) };
    seq += entries.length;
    const packed = packBatch(batch);
    let t = performance.now();
    const decoded = unpackBatch(packed);
    unpack.push(performance.now() - t);
    t = performance.now();
    await ingestBatchBaseline(cloud.ctx!.db, 'demo', twin);
    base.push(performance.now() - t);
    t = performance.now();
    await ingestBatch(cloud.ctx!.db, 'demo', decoded);
    ours.push(performance.now() - t);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { unpackMs: median(unpack), ingestMs: median(ours), baselineMs: median(base), ingestMinMs: Math.min(...ours), baselineMinMs: Math.min(...base) };
}
