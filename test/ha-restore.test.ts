/**
 * Point-in-time restore of HQ's Postgres server, the way provisioning/ha/backup.sh does it:
 * a base backup, then more sales and passages, a named restore point, more again; the
 * server is lost and restored to the restore point from the base backup and the WAL
 * archive. HQ has forgotten passages it once acknowledged and changes the gate already
 * pulled: the gate starts its cache over and re-sends its recent passages, and HQ ends with
 * every passage exactly once. (test/sync-restore.test.ts is the same story on PGlite.)
 * HA_PITR_PORT (54345) places the server.
 */
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sql } from 'drizzle-orm';
import type { Cloud } from '../cloud/server.ts';
import { api, waitFor } from './support/cloud.ts';
import { startCloudOn } from './support/fixed-cloud.ts';
import { startTestGate } from './support/gate.ts';
import { provisionGates } from './support/provision.ts';
import { missingForServer, startServer } from './support/ha.ts';
import { freshCloudDataDir } from './support/pglite.ts';

const PORT = Number(process.env.HA_PITR_PORT ?? 54345);
const PASS = { code: 'pass', name: '年卡', priceFen: 100000, validityDays: 30, entries: 0, persons: 1 };

async function held(cloud: Cloud, device: string): Promise<string[]> {
  const r = (await cloud.ctx!.db.execute(sql`select nonce from entries where device = ${device} order by nonce`)) as unknown as { rows: { nonce: string }[] };
  return r.rows.map((x) => x.nonce);
}
const headSeq = async (cloud: Cloud) => ((await cloud.ctx!.db.execute(sql`select coalesce(max(seq), 0)::int as n from changes`)) as unknown as { rows: { n: number }[] }).rows[0]!.n;

const missing = missingForServer();
if (missing) {
  console.log(`skipped: the restore suite needs ${missing}`);
  test.skip('HQ restored to a point in time: the gate starts over and re-sends, every passage once', () => undefined);
} else {
  test('HQ restored to a point in time: the gate starts over and re-sends, every passage once', async () => {
    const server = await startServer({ port: PORT });
    const dataDir = await freshCloudDataDir();
    let cloud = await startCloudOn({ dataDir, databaseUrl: server.url });
    const { httpPort, mqttPort } = cloud;
    await provisionGates(cloud.url, 'demo', [['gate-p', 'lane-1']]);
    const gate = await startTestGate({ device: 'gate-p', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, ackTimeoutMs: 400 });
    try {
      assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: PASS })).status, 201);
      const sell = async () => (await api(cloud.url, '/api/v1/sales', { body: { type: 'pass', quantity: 1 } })).body.tickets[0] as { id: string; code: string };
      const first = await sell();
      await waitFor('gate synced', () => gate.agent.store.keyring.size > 0 && gate.agent.linkState.connected);
      const own = () => (gate.agent.store.db.$client.prepare("select nonce from entries where device = 'gate-p' order by nonce").all() as { nonce: string }[]).map((r) => r.nonce);
      const admit = async (n: number, code = first.code) => { for (let i = 0; i < n; i++) assert.ok((await gate.agent.present(code)).admit); };
      const atHq = (n: number) => waitFor(`${n} at HQ, outbox empty`, async () => (await held(cloud, 'gate-p')).length === n && gate.agent.store.outboxSize() === 0, 20_000);

      await admit(3);
      await atHq(3);
      const base = server.backup(); // the nightly base backup
      await admit(2);
      const second = await sell();
      await atHq(5);
      server.mark('before-the-loss'); // e.g. a day's close
      const headAtMark = await headSeq(cloud);
      await admit(3);
      const third = await sell(); // sold after the restore point: HQ will not know it
      await atHq(8);
      await waitFor('gate holds the third ticket', () => gate.agent.store.checkpoint() > headAtMark, 15_000);
      const epochBefore = gate.agent.store.epoch;

      // The server is lost; HQ goes down with it. Restored to the restore point.
      await cloud.stop();
      server.kill();
      const restored = server.restore(base, 'name', 'before-the-loss');
      await server.start(restored);
      cloud = await startCloudOn({ dataDir, databaseUrl: server.url, httpPort, mqttPort });
      assert.is((await held(cloud, 'gate-p')).length, 5, 'HQ knows the passages up to the restore point');
      assert.is((await api(cloud.url, `/api/v1/tickets/${second.id}`)).status, 200, 'a sale before the restore point survives');
      assert.is((await api(cloud.url, `/api/v1/tickets/${third.id}`)).status, 404, 'a sale after it is gone');

      await admit(1);
      await waitFor('HQ holds every passage again', async () => (await held(cloud, 'gate-p')).length === 9, 30_000);
      await waitFor('outbox drained', () => gate.agent.store.outboxSize() === 0, 15_000);
      assert.equal(await held(cloud, 'gate-p'), own(), 'exactly the gate\'s passages, each once');
      assert.is.not(gate.agent.store.epoch, epochBefore, 'a new upload stream');
      // The gate's checkpoint was past the restored log's end: it started its cache over.
      await waitFor('gate checkpoint within the restored log', async () => gate.agent.store.checkpoint() <= (await headSeq(cloud)), 15_000);
      const fourth = await sell();
      await waitFor('a new sale reaches the gate', () => gate.agent.store.checkpoint() >= headAtMark, 15_000);
      assert.ok((await gate.agent.present(fourth.code)).admit);
    } catch (err) {
      console.log(`--- server.log\n${server.logTail()}`);
      throw err;
    } finally {
      await gate.cleanup();
      await cloud.stop();
      server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

test.run();
