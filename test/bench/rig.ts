import { and, count, eq, sql } from 'drizzle-orm';
import type { Cloud } from '../../cloud/server.ts';
import { changes, deviceStreams, entries, refusedEntries } from '../../cloud/db/schema/index.ts';
import { provisionIn } from '../support/provision.ts';
import { startTestGate, type TestGate } from '../support/gate.ts';
import { waitFor } from '../support/cloud.ts';
import { Wan } from './wan.ts';
import { PRODUCTION } from './paced.ts';
import type { HqProcess, HqQueries } from './hq-process.ts';

/** HQ in this process, or in a child process (test/bench/hq-process.ts). */
export type BenchHq = Cloud | HqProcess;

/** A gate behind its own simulated WAN, configured as in production (not the tests' fast timers). */
export interface BenchGate {
  device: string;
  /** The one lane HQ lets it report entries for. */
  lane: string;
  gate: TestGate;
  wan: Wan;
  stop(): Promise<void>;
}

export async function startBenchGate(hq: BenchHq, device: string): Promise<BenchGate> {
  // HQ lets a provisioned gate connect only, one gate a lane: each bench gate gets its own. The
  // generated logs name other lanes, so HQ takes their entries as refused (refused_entries):
  // the same ingest and ack path, counted by entriesAtHq below.
  await queriesOf(hq).provision([{ device, lanes: [`${device}-lane`] }]);
  const wan = new Wan(hq);
  await wan.start();
  try {
    const gate = await startTestGate({
      device, lane: `${device}-lane`, cloudUrl: wan.cloudUrl, mqttUrl: wan.mqttUrl,
      // The production defaults: startTestGate's 300 ms pull and 500 ms ack timeout would make
      // a slow line look like a dead one (re-sends) and poll HQ twenty times harder.
      pullIntervalMs: 60_000, ackTimeoutMs: 10_000, coalesceMs: PRODUCTION.coalesceMs,
    });
    return {
      device, lane: `${device}-lane`, gate, wan,
      async stop() {
        await gate.cleanup();
        await wan.stop();
      },
    };
  } catch (err) {
    await wan.stop();
    throw err;
  }
}

/** HQ's database as the bench queries it, in HQ's own process (hq-child.ts answers with these). */
export function localQueries(cloud: Cloud): HqQueries {
  const db = () => cloud.ctx!.db;
  return {
    provision: (devices) => provisionIn(cloud.ctx!, 'demo', devices),
    async logHead() {
      const [row] = await db().select({ head: sql<number>`coalesce(max(${changes.seq}), 0)::int` }).from(changes);
      return row!.head;
    },
    async entriesAt(device) {
      const [row] = await db().select({ n: count() }).from(entries).where(eq(entries.device, device));
      const [refused] = await db().select({ n: count() }).from(refusedEntries).where(eq(refusedEntries.device, device));
      return row!.n + refused!.n;
    },
    async streamAcked(device, epoch) {
      const [row] = await db().select({ n: deviceStreams.ackedUpTo }).from(deviceStreams).where(and(eq(deviceStreams.device, device), eq(deviceStreams.epoch, epoch)));
      return Number(row?.n ?? 0);
    },
  };
}

function queriesOf(hq: BenchHq): HqQueries {
  return 'queries' in hq ? hq.queries : localQueries(hq);
}

/** The newest change-log sequence number at HQ. */
export function logHead(hq: BenchHq): Promise<number> {
  return queriesOf(hq).logHead();
}

/** Entries HQ holds from one device: taken, or kept as refused (not this device's lane). */
export function entriesAtHq(hq: BenchHq, device: string): Promise<number> {
  return queriesOf(hq).entriesAt(device);
}

/** How far HQ has committed a device's upload stream (its ack watermark). */
export function streamAckedAtHq(hq: BenchHq, device: string, epoch: string): Promise<number> {
  return queriesOf(hq).streamAcked(device, epoch);
}

/** Waits until the gate is connected and holds HQ's whole change log. */
export async function waitSynced(hq: BenchHq, g: BenchGate, timeoutMs = 120_000): Promise<void> {
  const head = await logHead(hq);
  await waitFor(`${g.device} connected and synced to ${head}`, () => g.gate.agent.linkState.connected && g.gate.agent.store.checkpoint() >= head, timeoutMs, 50);
}
