import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GateAgent } from '../edge/gate/agent.ts';
import { parseGateConfig } from '../edge/gate/config.ts';
import { createFingerprintReader } from '../hardware/fingerprint/create.ts';
import { INS } from '../hardware/fingerprint/protocol.ts';
import { FingerprintSim } from '../hardware/fingerprint/sim.ts';
import { SimScanner } from '../hardware/scanner/sim.ts';
import { openPtyPair } from '../hardware/testing/pty.ts';
import { SimTurnstile } from '../hardware/turnstile/sim.ts';
import { api, startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { withGateToken } from './support/devices.ts';
import { provision } from './support/provision.ts';

/**
 * Fingerprints end to end: enrolled at the window with a module (driver and simulator over a
 * pseudo terminal), the template (never an image) bound at HQ, carried to the ticket's site by
 * the change log, sealed at the gate and written into the gate's own module; then a finger
 * after a credential (1:1) and a finger alone (1:N), with the refusals and their prompts.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Enrols `id` at the window: the visitor presses, lifts, presses again. */
async function enrolAtWindow(id: string): Promise<string> {
  const pty = await openPtyPair();
  const sim = new FingerprintSim({ path: pty.b, baudRate: 57600 });
  const reader = await createFingerprintReader({ driver: 'r30x', path: pty.a, pollMs: 20, captureTimeoutMs: 2000 });
  await sim.start();
  await reader.start();
  try {
    let lifted = false;
    sim.place({ id });
    sim.on('command', ({ ins }) => {
      if (ins === INS.img2Tz) {
        sim.lift();
        lifted = true;
      } else if (ins === INS.genImg && lifted) {
        lifted = false;
        setTimeout(() => sim.place({ id }), 10);
      }
    });
    const out = await reader.enrol();
    if (!out.ok) throw new Error(`enrolment failed: ${out.reason}`);
    return out.template.toString('base64');
  } finally {
    await reader.stop();
    await sim.stop();
    await pty.close();
  }
}

test('a finger after the ticket (1:1) and a finger alone (1:N) at the gate, offline', async () => {
  const cloud = await startTestCloud();
  await provision(cloud.url, 'demo', [{ device: 'gate-p', lanes: ['lane-1'] }]);
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-gate-finger-'));
  const pty = await openPtyPair();
  const module = new FingerprintSim({ path: pty.b, baudRate: 57600, capacity: 50 });
  let gate: GateAgent | undefined;
  try {
    const annual = { code: 'annual', name: '年卡', priceFen: 30000, validityDays: 365, entries: 0, persons: 1, rules: { kind: 'member', faceRequired: false } };
    const day = { code: 'day', name: '成人票', priceFen: 10000, validityDays: 1, entries: 2, persons: 1, rules: { kind: 'visitor', faceRequired: false } };
    assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: annual })).status, 201);
    assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: day })).status, 201);
    const t1 = (await api(cloud.url, '/api/v1/sales', { body: { type: 'annual', quantity: 1 } })).body.tickets[0];
    const t2 = (await api(cloud.url, '/api/v1/sales', { body: { type: 'annual', quantity: 1 } })).body.tickets[0];
    const t3 = (await api(cloud.url, '/api/v1/sales', { body: { type: 'day', quantity: 1 } })).body.tickets[0];

    // Enrolment at the window: alice on t1, bob on t2; t3 has none.
    const e1 = await api(cloud.url, `/api/v1/tickets/${t1.id}/fingerprint`, { body: { template: await enrolAtWindow('alice') } });
    assert.is(e1.status, 201, JSON.stringify(e1.body));
    assert.is(e1.body.format, 'r30x-512');
    assert.is((await api(cloud.url, `/api/v1/tickets/${t2.id}/fingerprint`, { body: { template: await enrolAtWindow('bob') } })).status, 201);
    const info = await api(cloud.url, `/api/v1/tickets/${t1.id}/fingerprint`);
    assert.is(info.status, 200);
    assert.not.ok('template' in info.body, 'the template is not handed out');
    const short = await api(cloud.url, `/api/v1/tickets/${t3.id}/fingerprint`, { body: { template: Buffer.alloc(100).toString('base64') } });
    assert.is(short.status, 422);
    assert.is(short.body.error.code, 'bad_template');

    await module.start();
    const config = parseGateConfig(withGateToken({
      device: 'gate-p', site: 'demo', lane: 'lane-1', dataDir, cloudUrl: cloud.url, mqttUrl: `mqtt://127.0.0.1:${cloud.mqttPort}`, pullIntervalMs: 300,
      fingerWaitMs: 800,
    }));
    const fingerprint = await createFingerprintReader({ driver: 'r30x', path: pty.a, pollMs: 20, capacity: 50, watch: true });
    gate = new GateAgent(config, { turnstile: new SimTurnstile({ autoPass: true, passDelayMs: 5 }), scanner: new SimScanner(), fingerprint, log: testLog.child('gate') });
    await gate.start();
    const store = gate.store;
    const nowS = () => Math.floor(Date.now() / 1000);
    await waitFor('both templates in the gate\'s module', () => module.library.size === 2, 15_000);
    const plain = store.fingerprint(t1.id, nowS())!.template;
    const sealed = store.db.$client.prepare('select sealed from fingerprints where ticket_id = ?').get(t1.id) as { sealed: Buffer };
    assert.not.ok(sealed.sealed.includes(plain.subarray(0, 16)), 'kept encrypted at rest');

    // 1:1: the annual card's code, then a finger. HQ is gone: all of it is local.
    await cloud.cleanup();
    const press = async (id: string | undefined, quality: 'good' | 'poor' = 'good') => {
      module.lift();
      await sleep(60);
      const d = gate!.present(t1.code);
      await sleep(50);
      if (id) module.place({ id, quality });
      const out = await d;
      module.lift();
      await sleep(60);
      return out;
    };
    const wrong = await press('bob');
    assert.is(wrong.admit, false);
    assert.is(wrong.reason, 'finger_mismatch');
    assert.is(wrong.message, '指纹不匹配，请重按或到人工通道');
    const none = await press(undefined);
    assert.is(none.reason, 'no_finger');
    assert.is(none.message, '未检测到手指，请将手指平放在指纹仪上');
    const smudged = await press('alice', 'poor');
    assert.is(smudged.reason, 'finger_poor_image');
    assert.is(smudged.message, '指纹不清晰，请擦干手指后重按');
    const ok = await press('alice');
    assert.is(ok.admit, true, ok.message);
    assert.is(ok.ticketId, t1.id);

    // A ticket without a fingerprint passes on its code alone.
    assert.is((await gate.present(t3.code)).admit, true);

    // 1:N: bob lays his finger on the reader, nothing else.
    module.place({ id: 'bob' });
    await waitFor('a decision by finger alone', () => gate!.lastDecision?.credential === 'finger', 5000);
    const alone = gate.lastDecision!;
    assert.is(alone.admit, true, alone.message);
    assert.is(alone.ticketId, t2.id);
    assert.is(alone.persons, 1);
    module.lift();
    await sleep(80);
    module.place({ id: 'carol' });
    await waitFor('a stranger refused', () => gate!.lastDecision?.ticketId === undefined && gate!.lastDecision?.credential === 'finger', 5000);
    assert.is(gate.lastDecision!.reason, 'finger_mismatch');
    module.lift();
    assert.equal(store.entriesFor(t1.id).length, 1);
    assert.equal(store.entriesFor(t2.id).length, 1);
  } finally {
    await gate?.stop();
    await module.stop();
    await pty.close();
    await cloud.cleanup().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
