import { SimWiegandReader } from '../../hardware/wiegand/sim.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MifareClassicCard } from '../../hardware/card/mifare.ts';
import { Pn532Sim } from '../../hardware/card/pn532-sim.ts';
import { createCardReader } from '../../hardware/card/create.ts';
import type { Pn532Reader } from '../../hardware/card/pn532-reader.ts';
import { PHOTO_BYTES } from '../../hardware/idcard/basic-info.ts';
import { createIdCardReader } from '../../hardware/idcard/create.ts';
import { SamSim, type SimIdCard } from '../../hardware/idcard/sam-sim.ts';
import { SerialScannerSim } from '../../hardware/scanner/serial-sim.ts';
import { openPtyPair, type PtyPair } from '../../hardware/testing/pty.ts';
import { issuerKeyFromSeed, rawPublicKey } from '../../shared/code/keys.ts';
import type { Change, ChangeBody } from '../../shared/sync/messages.ts';
import { testLog, waitFor } from '../../test/support/cloud.ts';
import { withGateToken } from '../../test/support/devices.ts';
import { startTestGate, type TestGate } from '../../test/support/gate.ts';
import type { GateAgent } from './agent.ts';
import { loadGateConfig, parseGateConfig } from './config.ts';
import { ReaderWiring } from './readers.ts';
import { runGate } from './run.ts';
import { asServed } from './testing/credentials.ts';

const key = issuerKeyFromSeed(Buffer.alloc(32, 3));
const now = Date.now();

function loadInto(agent: GateAgent, changes: ChangeBody[]): void {
  const all = [{ kind: 'key', keyId: key.keyId, publicKey: rawPublicKey(key.publicKey).toString('hex') }, ...changes]
    .map((c, i) => ({ ...c, seq: agent.store.checkpoint() + i + 1 })) as Change[];
  agent.store.applyBatch(asServed({ since: agent.store.checkpoint(), next: all[all.length - 1]!.seq, more: false, serverTime: now, changes: all }), agent.config.device);
}
const load = (gate: TestGate, changes: ChangeBody[]) => loadInto(gate.agent, changes);

function ticket(id: string, entries: number): ChangeBody {
  const s = Math.floor(now / 1000);
  return { kind: 'ticket', ticket: { id, typeId: 1, validFrom: s - 3600, validUntil: s + 86_400, persons: 1, entries } } as ChangeBody;
}

const idCard: SimIdCard = {
  name: '王五', sexCode: '1', nationCode: '01', birthDate: '1949-12-31', address: '北京市西城区某街1号', idNumber: '11010519491231002X',
  authority: '北京市公安局西城分局', validFrom: '2010-01-01', validUntil: null, photoWlt: Buffer.alloc(PHOTO_BYTES),
};

test('a card UID and an ID card read over serial admit the tickets bound to them', async () => {
  const gate = await startTestGate({ device: 'g-readers' });
  const cardPty = await openPtyPair();
  const idPty = await openPtyPair();
  const pn532 = new Pn532Sim({ path: cardPty.b, baudRate: 115200 });
  const sam = new SamSim({ path: idPty.b, baudRate: 115200 });
  const card = (await createCardReader({ driver: 'pn532', path: cardPty.a, pollMs: 30, ackTimeoutMs: 1500 })) as Pn532Reader;
  const idcard = await createIdCardReader({ driver: 'sam', path: idPty.a, pollMs: 30 });
  const wiring = new ReaderWiring({ card, idcard }, (c) => gate.agent.present(c), testLog);
  try {
    const cardTicket = crypto.randomUUID();
    const idTicket = crypto.randomUUID();
    load(gate, [
      ticket(cardTicket, 1), ticket(idTicket, 1),
      { kind: 'credential', credential: 'card', value: '04A1B2C3', ticketId: cardTicket },
      { kind: 'credential', credential: 'idcard', value: '11010519491231002X', ticketId: idTicket },
    ] as ChangeBody[]);
    await pn532.start();
    await sam.start();
    await wiring.start();

    pn532.place(new MifareClassicCard({ uid: '04a1b2c3' }));
    await waitFor('card admitted', () => gate.agent.lastDecision?.ticketId === cardTicket, 5000);
    assert.is(gate.agent.lastDecision!.admit, true, gate.agent.lastDecision!.message);
    assert.is(gate.agent.lastDecision!.credential, 'card');

    sam.place(idCard);
    await waitFor('ID card admitted', () => gate.agent.lastDecision?.ticketId === idTicket, 5000);
    assert.is(gate.agent.lastDecision!.admit, true, gate.agent.lastDecision!.message);
    assert.is(gate.agent.lastDecision!.credential, 'idcard');

    // The card lifted and put down again: a second presentation, refused (one entry only).
    pn532.remove();
    await waitFor('card lifted', () => card.present === undefined, 3000);
    pn532.place(new MifareClassicCard({ uid: '04a1b2c3' }));
    await waitFor('second presentation decided', () => gate.agent.counters.refused === 1, 5000);
    assert.is(gate.agent.lastDecision!.reason, 'used');
    assert.is(gate.agent.counters.admitted, 2);
  } finally {
    await wiring.stop();
    await pn532.stop();
    await sam.stop();
    await cardPty.close();
    await idPty.close();
    await gate.cleanup();
  }
});

test('a Wiegand reader\'s card reaches the agent like a serial reader\'s', async () => {
  const gate = await startTestGate({ device: 'g-wiegand' });
  const wiegand = new SimWiegandReader({ kind: 'wiegand26' });
  const wiring = new ReaderWiring({ wiegand }, (c) => gate.agent.present(c), testLog);
  try {
    const t = crypto.randomUUID();
    load(gate, [ticket(t, 1), { kind: 'credential', credential: 'card', value: '0A1B2C', ticketId: t }] as ChangeBody[]);
    await wiring.start();
    wiegand.present('0A1B2C');
    await waitFor('Wiegand card admitted', () => gate.agent.lastDecision?.ticketId === t, 5000);
    assert.is(gate.agent.lastDecision!.admit, true, gate.agent.lastDecision!.message);
    assert.is(gate.agent.lastDecision!.credential, 'card');
    wiegand.present('0A1B2C');
    await waitFor('second presentation refused', () => gate.agent.counters.refused === 1, 5000);
    assert.is(gate.agent.lastDecision!.reason, 'used');
  } finally {
    await wiring.stop();
    await gate.cleanup();
  }
});

test('runGate builds a serial scanner, card and ID card reader from config and they reach the agent', async () => {
  const ptys = [await openPtyPair(), await openPtyPair(), await openPtyPair()];
  const [scanPty, cardPty, idPty] = ptys as [PtyPair, PtyPair, PtyPair];
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-gate-readers-'));
  const config = parseGateConfig(withGateToken({
    device: 'g-run-readers', site: 'demo', dataDir, cloudUrl: 'http://127.0.0.1:9', mqttUrl: 'mqtt://127.0.0.1:9',
    turnstile: { driver: 'sim', passDelayMs: 5 },
    scanner: { driver: 'serial', path: scanPty.a, baudRate: 115200, suffix: 'crlf' },
    card: { driver: 'pn532', path: cardPty.a, pollMs: 30, ackTimeoutMs: 1500 },
    idcard: { driver: 'sam', path: idPty.a, pollMs: 30 },
  }));
  const scannerSim = new SerialScannerSim({
    path: scanPty.b, baudRate: 115200, suffix: 'crlf', mode: 'presentation',
    commands: { trigger: Buffer.alloc(0), untrigger: Buffer.alloc(0), beep: Buffer.alloc(0) },
  });
  const pn532 = new Pn532Sim({ path: cardPty.b, baudRate: 115200 });
  const sam = new SamSim({ path: idPty.b, baudRate: 115200 });
  await scannerSim.start();
  await pn532.start();
  await sam.start();
  const gate = await runGate(config, testLog);
  try {
    const [byCode, byCard, byId] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    loadInto(gate.agent, [
      ticket(byCode, 1), ticket(byCard, 1), ticket(byId, 1),
      { kind: 'credential', credential: 'barcode', value: 'TK-2024-0001', ticketId: byCode },
      { kind: 'credential', credential: 'card', value: '04A1B2C3', ticketId: byCard },
      { kind: 'credential', credential: 'idcard', value: '11010519491231002X', ticketId: byId },
    ] as ChangeBody[]);
    await scannerSim.raw(Buffer.from([0x00, 0x07])); // line noise first: logged, not a decision
    await scannerSim.scan('TK-2024-0001');
    await waitFor('barcode admitted', () => gate.agent.lastDecision?.ticketId === byCode, 5000);
    pn532.place(new MifareClassicCard({ uid: '04a1b2c3' }));
    await waitFor('card admitted', () => gate.agent.lastDecision?.ticketId === byCard, 5000);
    sam.place(idCard);
    await waitFor('ID card admitted', () => gate.agent.lastDecision?.ticketId === byId, 5000);
    assert.is(gate.agent.counters.admitted, 3);
    assert.is(gate.agent.counters.refused, 0);
  } finally {
    await gate.stop();
    await scannerSim.stop();
    await pn532.stop();
    await sam.stop();
    for (const p of ptys) await p.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('gate config takes optional card and ID card readers', () => {
  const base = { device: 'g1', site: 's1', dataDir: '/tmp/x', cloudUrl: 'http://127.0.0.1:1', mqttUrl: 'mqtt://127.0.0.1:1' };
  const plain = parseGateConfig(base);
  assert.is(plain.card, undefined);
  assert.is(plain.idcard, undefined);
  const full = parseGateConfig({ ...base, card: { driver: 'pn532', path: '/dev/ttyUSB0' }, idcard: { driver: 'sam', path: '/dev/ttyUSB1' } });
  assert.is(full.card?.baudRate, 115200);
  assert.is(full.idcard?.pollMs, 300);
  assert.throws(() => parseGateConfig({ ...base, card: { driver: 'pn532' } }), /card\.path/);
  // The provisioning example for a lane with serial readers stays valid.
  const example = loadGateConfig(new URL('../../provisioning/gate/gate.readers.example.json', import.meta.url).pathname);
  assert.is(example.scanner.driver, 'serial');
  assert.is(example.card?.driver, 'pn532');
  assert.is(example.idcard?.driver, 'sam');
});

test.run();
