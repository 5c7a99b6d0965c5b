import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inArray, sql } from 'drizzle-orm';
import type { Cloud } from '../../cloud/server.ts';
import { entries } from '../../cloud/db/schema/index.ts';
import { gateConfigSchema } from '../../edge/gate/config.ts';
import { parseHubConfig } from '../../edge/hub/config.ts';
import { SiteHub } from '../../edge/hub/hub.ts';
import { testLog, waitFor } from '../support/cloud.ts';
import { testSiteKey } from '../support/devices.ts';
import { startTestGate, type TestGate } from '../support/gate.ts';
import { provisionIn } from '../support/provision.ts';
import { wireBytes, type LinkStats } from '../tools/link-sim.ts';
import type { Observer } from './observer.ts';
import { logHead } from './rig.ts';
import { sleep, Wan } from './wan.ts';

/** The gate's production defaults, as the README recommends them for a site (edge/gate/config.ts). */
export const PRODUCTION = gateConfigSchema.pick({ coalesceMs: true, heartbeatMs: true, keepaliveS: true, pullIntervalMs: true, ackTimeoutMs: true }).parse({});

/**
 * A gate on a site hub's LAN, as the README recommends: each entry to the hub at once (the LAN
 * is free, and siblings hear it at once), the hub coalescing for HQ; HQ's ack comes a
 * coalescing period later, so the gate waits longer for it before it re-sends.
 */
export const BEHIND_HUB = { ...PRODUCTION, coalesceMs: 0, ackTimeoutMs: 30_000 };

/** A gate and the line(s) it reaches HQ through: its own WAN, or the hub's shared one. */
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

/** A site hub behind one simulated ADSL line to HQ, with its production defaults (windows off: no sales in this bench). */
async function startPacedHub(cloud: Cloud, hub: string): Promise<{ hub: SiteHub; wan: Wan; stop(): Promise<void> }> {
  await provisionIn(cloud.ctx!, 'demo', [{ device: hub, role: 'hub' }]);
  const wan = new Wan(cloud);
  await wan.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-paced-hub-'));
  const site = new SiteHub(parseHubConfig({
    hub, site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
    upstream: { mqttUrl: wan.mqttUrl, cloudUrl: wan.cloudUrl }, window: { enabled: false },
  }), testLog.child(hub));
  const stop = async () => {
    await site.stop();
    await wan.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await site.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { hub: site, wan, stop };
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
  /**
   * Where the down bytes come from, application payload per entry: HQ's acks (per batch, or per
   * bundle through a hub) and, direct, the siblings' uploads each gate hears over its own line.
   */
  downAckPayloadPerEntry: number;
  downSiblingPayloadPerEntry: number;
  /** Scan (device time) to committed at HQ (received_at), seconds. */
  lagP50S: number;
  lagP99S: number;
  /** Through a hub: bundles it sent HQ again (lost, or their ack lost). */
  hubResent: number;
}

/**
 * `gates` gates, each behind its own simulated ADSL line, each scanning one visitor a second
 * for `seconds`, configured as in production. Counted on the lines from the first scan until
 * HQ holds every entry and the last acks have crossed.
 */
export async function runPaced(cloud: Cloud, observer: Observer, opts: { gates: number; seconds: number; codes: string[]; via?: 'direct' | 'hub' }): Promise<PacedResult> {
  const via = opts.via ?? 'direct';
  const devices = Array.from({ length: opts.gates }, (_, i) => `paced-${via}-${String(i + 1).padStart(2, '0')}`);
  await provisionIn(cloud.ctx!, 'demo', devices.map((device) => ({ device, lanes: [`${device}-lane`] })));
  const gates: PacedGate[] = [];
  const hub = via === 'hub' ? await startPacedHub(cloud, 'paced-hub') : undefined;
  try {
    process.stderr.write(via === 'hub'
      ? `paced via a hub: ${opts.gates} gates on its LAN, 1 scan a second each for ${opts.seconds} s, the hub coalescing ${hub!.hub.config.coalesceMs} ms...\n`
      : `paced direct: ${opts.gates} gates, 1 scan a second each for ${opts.seconds} s (coalesceMs ${PRODUCTION.coalesceMs})...\n`);
    for (const device of devices) {
      if (!hub) gates.push(await startPacedGate(cloud, device, `${device}-lane`));
      else gates.push({ device, wan: hub.wan, gate: await startTestGate({ device, lane: `${device}-lane`, cloudUrl: hub.hub.url, mqttUrl: hub.hub.mqttUrl, ...BEHIND_HUB }) });
    }
    const head = await logHead(cloud);
    await waitFor('paced gates synced', () => gates.every((g) => g.gate.agent.linkState.connected && g.gate.agent.store.checkpoint() >= head), 180_000, 100);
    await sleep(1500); // connect-time status, reported mode and pulls are not the pace's traffic
    // The lines counted: each gate's own, or the hub's one line for all of them.
    const lines = hub ? [hub.wan] : gates.map((g) => g.wan);
    const before = lines.map((w) => ({ mqtt: w.mqtt.stats, http: w.http.stats }));
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
    const sum = (f: (w: Wan, i: number) => { up: number; down: number }) =>
      lines.reduce((a, w, i) => { const x = f(w, i); return { up: a.up + x.up, down: a.down + x.down }; }, { up: 0, down: 0 });
    const diff = (a: LinkStats, b: LinkStats) => ({ up: b.bytesUp - a.bytesUp, down: b.bytesDown - a.bytesDown });
    const mqtt = sum((w, i) => wireBytes(before[i]!.mqtt, w.mqtt.stats));
    const http = sum((w, i) => wireBytes(before[i]!.http, w.http.stats));
    const app = sum((w, i) => diff(before[i]!.mqtt, w.mqtt.stats));
    const lags = (await db.select({ lag: sql<number>`extract(epoch from (${entries.receivedAt} - ${entries.deviceTime}))::float8` }).from(entries).where(inArray(entries.device, devices)))
      .map((r) => Number(r.lag)).sort((a, b) => a - b);
    const q = (p: number) => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] ?? 0;
    // Through a hub, HQ's broker hears the hub's bundles (the gates' batches and statuses inside).
    const heard = (hub ? ['paced-hub'] : devices).map((d) => observer.summary(d, t0));
    const payload = (what: string) => heard.reduce((a, h) => a + (h[what]?.bytes ?? 0), 0);
    const perGateMinute = (what: string) => heard.reduce((a, h) => a + (h[what]?.messages ?? 0), 0) / gates.length / minutes;
    return {
      gates: gates.length, entries: admitted, seconds: opts.seconds,
      upPerEntry: (mqtt.up + http.up) / admitted, downPerEntry: (mqtt.down + http.down) / admitted,
      mqttUpPerEntry: mqtt.up / admitted, mqttDownPerEntry: mqtt.down / admitted, mqttAppUpPerEntry: app.up / admitted,
      batchesPerMinute: perGateMinute(hub ? 'bundle' : 'up'), statusPerMinute: perGateMinute('status'),
      downAckPayloadPerEntry: payload(hub ? 'bundle/ack' : 'up/ack') / admitted,
      // Direct, every gate of the site hears every other's uploads (to share entries); through a hub, on the LAN.
      downSiblingPayloadPerEntry: hub ? 0 : (payload('up') * (gates.length - 1)) / admitted,
      lagP50S: q(0.5), lagP99S: q(0.99), hubResent: hub?.hub.state().resent ?? 0,
    };
  } finally {
    for (const g of gates) {
      await g.gate.cleanup();
      if (!hub) await g.wan.stop();
    }
    await hub?.stop();
  }
}
