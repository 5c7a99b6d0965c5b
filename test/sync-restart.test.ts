/**
 * HQ's side goes away in the middle of a large upload and comes back on the same ports:
 * (a) the MQTT broker alone (HQ on an external broker, MQTT_URL), (b) the whole HQ with its
 * in-process broker. Either way HQ ends with exactly the queued entries, once, and the
 * gate's outbox drains. RESTART_QUEUE (default 3000) entries are queued.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { and, eq, sql } from 'drizzle-orm';
import type { Cloud } from '../cloud/server.ts';
import type { Broker } from '../cloud/mqtt/broker.ts';
import { deviceStreams, entries } from '../cloud/db/schema/index.ts';
import { LinkSim } from './tools/link-sim.ts';
import { api, waitFor } from './support/cloud.ts';
import { restartCloud, startBrokerOn, startCloudOn } from './support/fixed-cloud.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { provisionGates } from './support/provision.ts';

const QUEUED = Number(process.env.RESTART_QUEUE ?? 3000);
const UNLIMITED = { code: 'pass', name: '通票', priceFen: 0, validityDays: 1, entries: 0, persons: 1 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Rig {
  /** HQ as it is now: a restart replaces it. */
  cloud(): Cloud;
  /** Makes HQ's side go away and come back on the same ports. */
  restart(): Promise<void>;
  /** The port the gate's MQTT line leads to. */
  mqttPort: number;
}

async function hqCount(cloud: Cloud, device: string): Promise<number> {
  const [row] = await cloud.ctx!.db.select({ n: sql<number>`count(*)::int` }).from(entries).where(eq(entries.device, device));
  return row!.n;
}

/**
 * Queues QUEUED entries while the line is cut, restores it, and restarts HQ's side twice
 * while the batches flow (at about a third and two thirds of the way). The line is capped
 * so that the upload takes a few seconds rather than a blink.
 */
async function uploadThroughRestarts(rig: Rig, device: string): Promise<void> {
  const first = rig.cloud();
  const httpLink = new LinkSim({ target: { host: '127.0.0.1', port: first.httpPort }, latencyMs: 10 });
  const mqttLink = new LinkSim({ target: { host: '127.0.0.1', port: rig.mqttPort }, latencyMs: 20, upKbps: 160 });
  await httpLink.start();
  await mqttLink.start();
  let gate: TestGate | undefined;
  await provisionGates(first.url, 'demo', [[device, `${device}-lane`]]);
  try {
    gate = await startTestGate({
      device, lane: `${device}-lane`, cloudUrl: `http://127.0.0.1:${httpLink.port}`, mqttUrl: `mqtt://127.0.0.1:${mqttLink.port}`,
      pullIntervalMs: 500, ackTimeoutMs: 1500, batchSize: 100, catchupBatchSize: 100,
    }, { turnstile: { passDelayMs: 0 } });
    const agent = gate.agent;
    await api(first.url, '/api/v1/ticket-types', { body: UNLIMITED });
    const sale = await api(first.url, '/api/v1/sales', { body: { type: 'pass', quantity: 50 } });
    assert.is(sale.status, 201);
    const codes: string[] = sale.body.tickets.map((t: any) => t.code);
    await waitFor('gate has the issuer key', () => agent.store.keyring.size > 0, 15_000);

    mqttLink.cut();
    await waitFor('uplink down', () => !agent.linkState.connected);
    for (let i = 0; i < QUEUED; i++) {
      const d = await agent.present(codes[i % codes.length]!);
      assert.ok(d.admit, d.reason);
    }
    assert.is(agent.store.outboxSize(), QUEUED, 'everything is queued');
    assert.is(await hqCount(first, device), 0);

    const t0 = Date.now();
    mqttLink.restore();
    const restartsAt: number[] = [];
    for (const share of [1 / 3, 2 / 3]) {
      const reached = await waitFor(`HQ at ${Math.round(share * 100)}%`, async () => {
        const n = await hqCount(rig.cloud(), device);
        return n >= QUEUED * share ? n : 0;
      }, 60_000, 20);
      assert.ok(reached < QUEUED, `the restart comes while batches still flow (HQ has ${reached} of ${QUEUED})`);
      restartsAt.push(reached);
      await rig.restart();
    }
    await waitFor('outbox drained', () => agent.store.outboxSize() === 0, 60_000, 50);
    const drainedMs = Date.now() - t0;
    await sleep(2000); // past the ack timeout: a late re-send, if any, would have landed
    assert.is(agent.store.outboxSize(), 0);

    const cloud = rig.cloud();
    const held = await cloud.ctx!.db.select({ nonce: entries.nonce }).from(entries).where(eq(entries.device, device));
    const logged = agent.store.db.$client.prepare('select nonce from entries where device = ?').all(device) as { nonce: string }[];
    assert.is(logged.length, QUEUED);
    assert.is(held.length, QUEUED, `HQ holds ${held.length} entries of ${QUEUED}`);
    const heldSet = new Set(held.map((e) => e.nonce));
    assert.is(logged.filter((e) => !heldSet.has(e.nonce)).length, 0, 'every entry the gate logged is at HQ');
    const [stream] = await cloud.ctx!.db.select().from(deviceStreams)
      .where(and(eq(deviceStreams.device, device), eq(deviceStreams.epoch, agent.store.epoch)));
    assert.is(stream?.ackedUpTo, QUEUED, 'HQ acked the whole stream');
    assert.is(agent.store.ackedUpTo(), QUEUED);
    console.log(`sync-restart ${device}: ${QUEUED} entries, restarts at ${restartsAt.join(' and ')}, drained in ${(drainedMs / 1000).toFixed(1)} s, ${mqttLink.stats.bytesUp} bytes up`);
  } finally {
    await gate?.cleanup();
    await mqttLink.stop();
    await httpLink.stop();
  }
}

test('(a) the MQTT broker restarts in the middle of an upload; HQ, on that external broker, ends with every entry once', async () => {
  let broker: Broker = await startBrokerOn(0);
  const brokerPort = broker.port;
  const cloud = await startCloudOn({ mqttUrl: `mqtt://127.0.0.1:${brokerPort}` });
  try {
    await uploadThroughRestarts({
      cloud: () => cloud,
      mqttPort: brokerPort,
      restart: async () => {
        await broker.stop();
        broker = await startBrokerOn(brokerPort);
      },
    }, 'gate-ra');
  } finally {
    await cloud.stop();
    await broker.stop();
    rmSync(cloud.config.dataDir, { recursive: true, force: true });
  }
});

test('(b) HQ restarts (database, broker and HTTP) in the middle of an upload, twice, and ends with every entry once', async () => {
  let cloud = await startCloudOn();
  const { dataDir } = cloud.config;
  try {
    await uploadThroughRestarts({
      cloud: () => cloud,
      mqttPort: cloud.mqttPort,
      restart: async () => {
        cloud = await restartCloud(cloud);
      },
    }, 'gate-rb');
  } finally {
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
