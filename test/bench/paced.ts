import { inArray, sql } from 'drizzle-orm';
import type { Cloud } from '../../cloud/server.ts';
import { entries } from '../../cloud/db/schema/index.ts';
import { gateConfigSchema } from '../../edge/gate/config.ts';
import { waitFor } from '../support/cloud.ts';
import { startTestGate, type TestGate } from '../support/gate.ts';
import { provisionIn } from '../support/provision.ts';
import { wireBytes, type LinkStats } from '../tools/link-sim.ts';
import type { Observer } from './observer.ts';
import { logHead } from './rig.ts';
import { sleep, Wan } from './wan.ts';

/** The gate's production defaults, as the README recommends them for a site (edge/gate/config.ts). */
export const PRODUCTION = gateConfigSchema.pick({ coalesceMs: true, heartbeatMs: true, keepaliveS: true, pullIntervalMs: true, ackTimeoutMs: true }).parse({});

interface PacedGate { device: string; gate: TestGate; wan: Wan }

async function startPacedGate(cloud: Cloud, device: string, lane: string): Promise<PacedGate> {
  const wan = new Wan(cloud);
  await wan.start();
  try {
    const gate = await startTestGate({ device, lane, cloudUrl: wan.cloudUrl, mqttUrl: wan.mqttUrl, ...PRODUCTION });
    return { device, gate, wan };
  } catch (err) {
    await wan.stop();
    throw err;
  }
}

export interface PacedResult {
  gates: number;
  entries: number;
  seconds: number;
  /** Bytes on both lines (MQTT and HTTP) per entry, IP and TCP headers included (link-sim's packet model). */
  upPerEntry: number;
  downPerEntry: number;
  /** The same, MQTT line only. */
  mqttUpPerEntry: number;
  mqttDownPerEntry: number;
  /** Application bytes only, MQTT line. */
  mqttAppUpPerEntry: number;
  /** Messages a gate sent HQ per minute: batches, statuses. */
  batchesPerMinute: number;
  statusPerMinute: number;
  /** Scan (device time) to committed at HQ (received_at), seconds. */
  lagP50S: number;
  lagP99S: number;
}

/**
 * `gates` gates, each behind its own simulated ADSL line, each scanning one visitor a second
 * for `seconds`, configured as in production. Counted on the lines from the first scan until
 * HQ holds every entry and the last acks have crossed.
 */
export async function runPaced(cloud: Cloud, observer: Observer, opts: { gates: number; seconds: number; codes: string[] }): Promise<PacedResult> {
  const devices = Array.from({ length: opts.gates }, (_, i) => `paced-${String(i + 1).padStart(2, '0')}`);
  await provisionIn(cloud.ctx!, 'demo', devices.map((device) => ({ device, lanes: [`${device}-lane`] })));
  const gates: PacedGate[] = [];
  try {
    process.stderr.write(`paced: ${opts.gates} gates, 1 scan a second each for ${opts.seconds} s (coalesceMs ${PRODUCTION.coalesceMs})...\n`);
    for (const device of devices) gates.push(await startPacedGate(cloud, device, `${device}-lane`));
    const head = await logHead(cloud);
    await waitFor('paced gates synced', () => gates.every((g) => g.gate.agent.linkState.connected && g.gate.agent.store.checkpoint() >= head), 180_000, 100);
    await sleep(1500); // connect-time status, reported mode and pulls are not the pace's traffic
    const before = gates.map((g) => ({ mqtt: g.wan.mqtt.stats, http: g.wan.http.stats }));
    const t0 = performance.now();
    const codes = [...opts.codes];
    let admitted = 0;
    await Promise.all(gates.map(async (g, i) => {
      await sleep((i * 1000) / gates.length);
      const start = performance.now();
      for (let s = 0; s < opts.seconds; s++) {
        const code = codes.pop();
        if (!code) throw new Error('paced: out of codes');
        if ((await g.gate.agent.present(code)).admit) admitted++;
        await sleep(Math.max(0, start + (s + 1) * 1000 - performance.now()));
      }
    }));
    const db = cloud.ctx!.db;
    const atHq = async () => (await db.select({ n: sql<number>`count(*)::int` }).from(entries).where(inArray(entries.device, devices)))[0]!.n;
    await waitFor('paced entries at HQ', async () => (await atHq()) >= admitted, 120_000, 250);
    await waitFor('paced outboxes acked', () => gates.every((g) => g.gate.agent.store.outboxSize() === 0), 60_000, 100);
    await sleep(1000);
    const minutes = (performance.now() - t0) / 60_000;
    const sum = (f: (g: PacedGate, i: number) => { up: number; down: number }) =>
      gates.reduce((a, g, i) => { const x = f(g, i); return { up: a.up + x.up, down: a.down + x.down }; }, { up: 0, down: 0 });
    const diff = (a: LinkStats, b: LinkStats) => ({ up: b.bytesUp - a.bytesUp, down: b.bytesDown - a.bytesDown });
    const mqtt = sum((g, i) => wireBytes(before[i]!.mqtt, g.wan.mqtt.stats));
    const http = sum((g, i) => wireBytes(before[i]!.http, g.wan.http.stats));
    const app = sum((g, i) => diff(before[i]!.mqtt, g.wan.mqtt.stats));
    const lags = (await db.select({ lag: sql<number>`extract(epoch from (${entries.receivedAt} - ${entries.deviceTime}))::float8` }).from(entries).where(inArray(entries.device, devices)))
      .map((r) => Number(r.lag)).sort((a, b) => a - b);
    const q = (p: number) => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] ?? 0;
    const heard = devices.map((d) => observer.summary(d, t0));
    const perGateMinute = (what: string) => heard.reduce((a, h) => a + (h[what]?.messages ?? 0), 0) / gates.length / minutes;
    return {
      gates: gates.length, entries: admitted, seconds: opts.seconds,
      upPerEntry: (mqtt.up + http.up) / admitted, downPerEntry: (mqtt.down + http.down) / admitted,
      mqttUpPerEntry: mqtt.up / admitted, mqttDownPerEntry: mqtt.down / admitted, mqttAppUpPerEntry: app.up / admitted,
      batchesPerMinute: perGateMinute('up'), statusPerMinute: perGateMinute('status'),
      lagP50S: q(0.5), lagP99S: q(0.99),
    };
  } finally {
    for (const g of gates) {
      await g.gate.cleanup();
      await g.wan.stop();
    }
  }
}
