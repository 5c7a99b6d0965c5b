import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Cloud } from '../../cloud/server.ts';
import { entries } from '../../cloud/db/schema/index.ts';
import { topics } from '../../shared/sync/topics.ts';
import { waitFor } from '../support/cloud.ts';
import { startTestGate } from '../support/gate.ts';
import { provisionIn } from '../support/provision.ts';
import type { Observer } from './observer.ts';
import { PRODUCTION } from './paced.ts';
import { sleep, Wan } from './wan.ts';

export interface DeadLinkResult {
  entries: number;
  /** Entries HQ holds from the gate (each once: the nonce is the key). */
  atHq: number;
  /** Bytes of entry batches as one copy of each reached HQ (MQTT packets: topic, payload, header). */
  dataBytes: number;
  /** Bytes the gate handed to the line for batches beyond that one copy: lost in the dead line, or delivered twice. */
  extraBytes: number;
  /** Of which delivered to HQ more than once. */
  duplicateBytes: number;
  /** Of which never reached HQ's broker (swallowed by the dead line). */
  lostBytes: number;
  /** Connections the gate dropped on its own because the line went silent. */
  deadLinks: number;
  /** Line silenced -> the gate dropped its connection, seconds. */
  noticedS: number;
}

/**
 * A gate uploading at a rush's pace (`perSecond` entries) when its line dies silently (packets
 * dropped both ways, no FIN, no RST) for `silentMs`, then comes back: every entry must reach HQ
 * once, and what was lost in the dead line is all that is sent again.
 */
export async function runDeadLink(cloud: Cloud, observer: Observer, opts: { entries: number; perSecond: number; silentAfterMs: number; silentMs: number; device?: string }): Promise<DeadLinkResult> {
  const device = opts.device ?? 'gate-dl';
  const lane = `${device}-lane`;
  await provisionIn(cloud.ctx!, 'demo', [{ device, lanes: [lane] }]);
  const wan = new Wan(cloud);
  await wan.start();
  const g = await startTestGate({ device, lane, cloudUrl: wan.cloudUrl, mqttUrl: wan.mqttUrl, ...PRODUCTION });
  try {
    const agent = g.agent;
    await waitFor('dead-link gate connected', () => agent.linkState.connected && agent.store.checkpoint() > 0, 60_000, 50);
    await sleep(1000);
    const up0 = agent.linkState.upBytes;
    const dead0 = agent.linkState.deadLinks;
    const t0 = performance.now();
    const pump = () => (agent as unknown as { link: { pump(): void } }).link.pump();
    let silencedAt = 0;
    let noticedAt = 0;
    const step = 50;
    const perStep = Math.max(1, Math.round((opts.perSecond * step) / 1000));
    for (let made = 0; made < opts.entries;) {
      const now = Date.now();
      agent.store.db.$client.transaction(() => {
        for (let i = 0; i < perStep && made < opts.entries; i++, made++) {
          // Tickets HQ never sold: their entries are taken all the same (counted for no ticket), and
          // their ids are as incompressible on the line as real ones.
          agent.store.recordEntry({ device, lane, venue: 'main', direction: 'in', kind: 'normal', ticketId: randomUUID(), persons: 1, deviceTime: now, correctedTime: now });
        }
      })();
      pump();
      const at = performance.now() - t0;
      if (!silencedAt && at >= opts.silentAfterMs) {
        wan.mqtt.silence(true);
        silencedAt = performance.now();
      }
      if (silencedAt && !noticedAt && agent.linkState.deadLinks > dead0) noticedAt = performance.now();
      if (silencedAt && at >= opts.silentAfterMs + opts.silentMs) wan.mqtt.silence(false);
      await sleep(step);
    }
    if (!silencedAt) {
      wan.mqtt.silence(true);
      silencedAt = performance.now();
      await sleep(opts.silentMs);
    }
    wan.mqtt.silence(false);
    await waitFor('dead link noticed', () => agent.linkState.deadLinks > dead0, 60_000, 20);
    noticedAt ||= performance.now();
    const count = async () => (await cloud.ctx!.db.select({ n: sql<number>`count(*)::int` }).from(entries).where(eq(entries.device, device)))[0]!.n;
    await waitFor('dead-link entries at HQ', async () => (await count()) >= opts.entries, 120_000, 100);
    await waitFor('dead-link outbox acked', () => agent.store.outboxSize() === 0, 60_000, 50);
    await sleep(500);
    const overhead = Buffer.byteLength(topics.up('demo', device)) + 6;
    const heard = observer.heard.filter((h) => h.device === device && h.what === 'up' && h.at >= t0);
    const seen = new Set<string>();
    let unique = 0;
    let total = 0;
    for (const h of heard) {
      const bytes = h.bytes + overhead;
      total += bytes;
      const key = `${h.firstSeq}-${h.lastSeq}`;
      if (!seen.has(key)) unique += bytes;
      seen.add(key);
    }
    const sent = agent.linkState.upBytes - up0;
    return {
      entries: opts.entries, atHq: await count(), dataBytes: unique, extraBytes: sent - unique, duplicateBytes: total - unique, lostBytes: sent - total,
      deadLinks: agent.linkState.deadLinks - dead0, noticedS: (noticedAt - silencedAt) / 1000,
    };
  } finally {
    await g.cleanup();
    await wan.stop();
  }
}
