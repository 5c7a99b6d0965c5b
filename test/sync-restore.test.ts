/**
 * HQ restored from an older backup: it has forgotten uploads it once acknowledged, which the
 * gate has already dropped from its outbox. The gate notices (HQ acks less than before), opens
 * a new upload stream with its recent passages under their original nonces, and HQ ends up
 * holding every passage exactly once.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { entries } from '../cloud/db/schema/index.ts';
import type { Cloud } from '../cloud/server.ts';
import { api, waitFor } from './support/cloud.ts';
import { startCloudOn } from './support/fixed-cloud.ts';
import { startTestGate } from './support/gate.ts';
import { provisionGates } from './support/provision.ts';

const PASS = { code: 'pass', name: '年卡', priceFen: 100000, validityDays: 30, entries: 0, persons: 1 };

async function held(cloud: Cloud, device: string): Promise<string[]> {
  return (await cloud.ctx!.db.select({ nonce: entries.nonce }).from(entries).where(eq(entries.device, device))).map((r) => r.nonce).sort();
}

test('after HQ is restored from an older backup, the gate sends what HQ lost, and nothing twice', async () => {
  let cloud = await startCloudOn();
  const { dataDir } = cloud.config;
  const { httpPort, mqttPort } = cloud;
  const backup = mkdtempSync(join(tmpdir(), 'tk-backup-'));
  await provisionGates(cloud.url, 'demo', [['gate-r', 'lane-1']]);
  const gate = await startTestGate({ device: 'gate-r', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, ackTimeoutMs: 400 });
  try {
    assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: PASS })).status, 201);
    const code = (await api(cloud.url, '/api/v1/sales', { body: { type: 'pass', quantity: 1 } })).body.tickets[0].code as string;
    await waitFor('gate synced', () => gate.agent.store.keyring.size > 0 && gate.agent.linkState.connected);
    const own = () => (gate.agent.store.db.$client.prepare("select nonce from entries where device = 'gate-r' order by nonce").all() as { nonce: string }[]).map((r) => r.nonce);
    for (let i = 0; i < 3; i++) assert.ok((await gate.agent.present(code)).admit);
    await waitFor('first three at HQ', async () => (await held(cloud, 'gate-r')).length === 3 && gate.agent.store.outboxSize() === 0);

    // The nightly backup: a copy of HQ's data dir, taken with HQ stopped.
    await cloud.stop();
    cpSync(dataDir, backup, { recursive: true });
    cloud = await startCloudOn({ dataDir, httpPort, mqttPort });
    for (let i = 0; i < 4; i++) assert.ok((await gate.agent.present(code)).admit);
    await waitFor('seven at HQ, outbox empty', async () => (await held(cloud, 'gate-r')).length === 7 && gate.agent.store.outboxSize() === 0, 15_000);
    const epochBefore = gate.agent.store.epoch;

    // Disaster: HQ's disk is lost and the backup restored. It knows three of the seven.
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
    cpSync(backup, dataDir, { recursive: true });
    cloud = await startCloudOn({ dataDir, httpPort, mqttPort });
    assert.is((await held(cloud, 'gate-r')).length, 3);
    assert.ok((await gate.agent.present(code)).admit, 'the gate admits on, whatever HQ knows');

    await waitFor('HQ holds every passage again', async () => (await held(cloud, 'gate-r')).length === 8, 30_000);
    await waitFor('outbox drained', () => gate.agent.store.outboxSize() === 0, 15_000);
    assert.equal(await held(cloud, 'gate-r'), own(), 'exactly the gate\'s passages, each once, under their own nonces');
    assert.is.not(gate.agent.store.epoch, epochBefore, 'a new upload stream');
    // Later passages flow as usual in the new stream.
    assert.ok((await gate.agent.present(code)).admit);
    await waitFor('ninth at HQ', async () => (await held(cloud, 'gate-r')).length === 9, 15_000);
    assert.equal(await held(cloud, 'gate-r'), own());
  } finally {
    await gate.cleanup();
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(backup, { recursive: true, force: true });
  }
});

test.run();
