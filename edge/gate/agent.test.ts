import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { issuerKeyFromSeed, rawPublicKey } from '../../shared/code/keys.ts';
import { encodeTicketCode, type TicketFacts } from '../../shared/code/ticket-code.ts';
import type { Change, ChangeBody } from '../../shared/sync/messages.ts';
import { typeRules } from '../../shared/rules/model.ts';
import { startTestGate, type TestGate } from '../../test/support/gate.ts';
import { waitFor } from '../../test/support/cloud.ts';
import type { FaceResult } from './face.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GateAgent } from './agent.ts';
import { parseGateConfig } from './config.ts';
import { SimScanner } from '../../hardware/scanner/sim.ts';
import { SimTurnstile } from '../../hardware/turnstile/sim.ts';
import { testLog } from '../../test/support/cloud.ts';
import { asServed } from './testing/credentials.ts';

const key = issuerKeyFromSeed(Buffer.alloc(32, 3));
const now = Date.now();
const facts = (over: Partial<TicketFacts> = {}): TicketFacts => ({
  ticketId: crypto.randomUUID(), typeId: 1, validFrom: Math.floor(now / 1000) - 3600, validUntil: Math.floor(now / 1000) + 86_400,
  persons: 1, entries: 1, ...over,
});

function load(gate: TestGate, changes: ChangeBody[]): void {
  const all = [{ kind: 'key', keyId: key.keyId, publicKey: rawPublicKey(key.publicKey).toString('hex') }, ...changes]
    .map((c, i) => ({ ...c, seq: gate.agent.store.checkpoint() + i + 1 })) as Change[];
  gate.agent.store.applyBatch(asServed({ since: gate.agent.store.checkpoint(), next: all[all.length - 1]!.seq, more: false, serverTime: now, changes: all }), gate.agent.config.device);
}
const ticketChange = (f: TicketFacts) => ({ kind: 'ticket' as const, ticket: { id: f.ticketId, typeId: f.typeId, validFrom: f.validFrom, validUntil: f.validUntil, persons: f.persons, entries: f.entries } });

test('passages nobody used are given back; lights, display and voice follow each decision', async () => {
  const gate = await startTestGate({ device: 'g-pass', passTimeoutMs: 500 }, { turnstile: { autoPass: false } });
  try {
    load(gate, []);
    const f = facts({ persons: 3 });
    const code = encodeTicketCode(f, key);
    const d = await gate.agent.present(code);
    assert.is(d.persons, 3);
    assert.ok(gate.turnstile.simulatePassage('in'), 'one visitor walks through');
    await waitFor('unused passages given back', () => gate.agent.counters.returned === 2, 3000);
    const h = gate.agent.store.history(f.ticketId);
    assert.equal(h.map((p) => [p.kind, p.persons]), [['normal', 3], ['return', 2]]);
    const again = await gate.agent.evaluate(code);
    assert.ok(again.verdict.admit && again.verdict.persons === 2, 'the two who did not pass may still come');
    assert.equal(gate.indicator.history.filter((o) => o.op === 'show').map((o) => (o as { light: string }).light), ['green']);
    assert.ok(gate.indicator.history.some((o) => o.op === 'beep' && o.pattern === 'ok'));
    assert.ok(gate.display.history.some((o) => o.op === 'show' && o.lines.join(' ').includes('请通行 3 人')));
    assert.ok(gate.voice.history.some((o) => o.op === 'say' && o.id === 'welcome'));
    const refused = await gate.agent.present('not a ticket');
    assert.is(refused.reason, 'malformed');
    assert.ok(gate.indicator.history.some((o) => o.op === 'show' && o.light === 'red'));
    assert.ok(gate.voice.history.some((o) => o.op === 'say' && o.id === 'malformed'));
  } finally {
    await gate.cleanup();
  }
});

test('cards, ID cards and barcodes resolve through the cache; exits and re-entry', async () => {
  const gate = await startTestGate({ device: 'g-cred' });
  try {
    const f = facts({ typeId: 5 });
    load(gate, [
      { kind: 'type', typeId: 5, rules: typeRules.parse({ reentry: { windowMinutes: 30 } }) },
      ticketChange(f),
      { kind: 'credential', credential: 'card', value: '04A1B2C3D4E5F6', ticketId: f.ticketId },
      { kind: 'credential', credential: 'idcard', value: '11010519491231002X', ticketId: f.ticketId },
    ]);
    const byCard = await gate.agent.present({ kind: 'card', value: '04a1b2c3d4e5f6' });
    assert.is(byCard.admit, true, byCard.message);
    assert.is(byCard.credential, 'card');
    assert.is((await gate.agent.present('11010519491231002X')).reason, 'used', 'the ID card names the same ticket');
    assert.is((await gate.agent.present('110105194912310021')).reason, 'unknown', 'a wrong check digit is no ID number (read as a barcode)');
    assert.is((await gate.agent.present({ kind: 'card', value: 'DEADBEEF' })).reason, 'unknown');
    const out = await gate.agent.present({ kind: 'idcard', value: '11010519491231002X' }, { direction: 'out' });
    assert.is(out.reason, 'wrong_direction', 'lane-1 is an entry lane by default');
    load(gate, [{ kind: 'lane', rules: { lane: 'lane-1', venue: 'main', directions: ['in', 'out'], accessible: false, antiPassbackSeconds: 0 } }]);
    const exit = await gate.agent.present({ kind: 'idcard', value: '11010519491231002X' }, { direction: 'out' });
    assert.is(exit.kind, 'exit');
    const back = await gate.agent.present({ kind: 'card', value: '04A1B2C3D4E5F6' });
    assert.is(back.kind, 'reentry');
    assert.is(back.message, '欢迎回来，请通行 1 人');
  } finally {
    await gate.cleanup();
  }
});

test('a real-name ticket needs the face check: no verifier, mismatch, match', async () => {
  let answer: FaceResult = 'mismatch';
  const asked: string[] = [];
  const gate = await startTestGate({ device: 'g-face' }, { face: { verify: async (r) => { asked.push(r.ticketId); return answer; } } });
  const plain = await startTestGate({ device: 'g-noface' });
  try {
    const f = facts({ typeId: 6 });
    for (const g of [gate, plain]) load(g, [{ kind: 'type', typeId: 6, rules: typeRules.parse({ faceRequired: true }) }, ticketChange(f)]);
    const code = encodeTicketCode(f, key);
    assert.is((await plain.agent.present(code)).reason, 'face_unavailable', 'without a verifier it is never admitted unchecked');
    assert.is((await gate.agent.present(code)).reason, 'face_mismatch');
    answer = 'no_face';
    assert.is((await gate.agent.present(code)).message, '未检测到人脸，请正对摄像头');
    answer = 'match';
    assert.is((await gate.agent.present(code)).admit, true);
    assert.equal(asked, [f.ticketId, f.ticketId, f.ticketId]);
    assert.is(gate.agent.store.history(f.ticketId).length, 1, 'only the matched presentation was recorded');
  } finally {
    await gate.cleanup();
    await plain.cleanup();
  }
});

test('the last desired mode survives a restart and applies before any network', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tk-mode-'));
  const make = () => {
    const turnstile = new SimTurnstile();
    const config = parseGateConfig({ device: 'g-mode', site: 'demo', dataDir: dir, cloudUrl: 'http://127.0.0.1:9', mqttUrl: 'mqtt://127.0.0.1:9' });
    return { turnstile, agent: new GateAgent(config, { turnstile, scanner: new SimScanner(), log: testLog }) };
  };
  try {
    const first = make();
    first.agent.store.offerDesired({ mode: 'emergency', version: 7, at: now });
    assert.is(first.agent.store.offerDesired({ mode: 'normal', version: 3, at: now }), false, 'an older order never wins');
    first.agent.store.db.$client.close();
    const second = make();
    await second.agent.start();
    assert.is(second.agent.mode, 'emergency');
    assert.is(second.turnstile.state.emergencyOpen, true, 'leaves open from the last known state, with HQ unreachable');
    await second.agent.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
