import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { openPtyPair, type PtyPair } from '../testing/pty.ts';
import { cardConfigSchema, createCardReader } from './create.ts';
import { MifareClassicCard } from './mifare.ts';
import type { CardEvents } from './port.ts';
import { CMD } from './pn532.ts';
import { Pn532Reader } from './pn532-reader.ts';
import { Pn532Sim } from './pn532-sim.ts';

async function until(check: () => boolean, timeoutMs = 4000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const codeOf = (e: unknown) => (e instanceof DeviceError ? e.code : String(e));

interface Rig {
  pty: PtyPair;
  reader: Pn532Reader;
  sim: Pn532Sim;
  cards: CardEvents['card'][];
  errors: DeviceError[];
  close(): Promise<void>;
}

async function rig(extra: Record<string, unknown> = {}): Promise<Rig> {
  const pty = await openPtyPair();
  const reader = (await createCardReader({ driver: 'pn532', path: pty.a, pollMs: 30, ackTimeoutMs: 1500, reconnectMs: 20, ...extra })) as Pn532Reader;
  const sim = new Pn532Sim({ path: pty.b, baudRate: 115200 });
  const cards: CardEvents['card'][] = [];
  const errors: DeviceError[] = [];
  reader.on('card', (c) => cards.push(c));
  reader.on('error', (e) => errors.push(e as DeviceError));
  await sim.start();
  await reader.start();
  return {
    pty, reader, sim, cards, errors,
    async close() {
      await reader.stop();
      await sim.stop();
      await pty.close();
    },
  };
}

const key = Buffer.from('ffffffffffff', 'hex');

test('a card is reported once per presentation, after the wake-up', async () => {
  const r = await rig();
  try {
    await until(() => r.reader.firmware !== undefined);
    assert.ok(r.sim.awake);
    assert.is(r.reader.firmware, 'PN532 1.6');
    assert.equal(r.sim.received.slice(0, 3), [CMD.samConfiguration, CMD.rfConfiguration, CMD.getFirmwareVersion]);
    r.sim.place(new MifareClassicCard({ uid: '04a1b2c3' }));
    await until(() => r.cards.length === 1);
    const polls = r.sim.received.length;
    await until(() => r.sim.received.length > polls + 5); // still on the antenna, polled again and again
    assert.equal(r.cards, [{ uid: '04A1B2C3', kind: 'mifare-classic-1k' }]);
    r.sim.remove();
    await until(() => r.reader.present === undefined);
    r.sim.place(new MifareClassicCard({ uid: '04a1b2c3' }));
    await until(() => r.cards.length === 2);
    r.sim.place(new MifareClassicCard({ uid: '04112233445566' })); // swapped without a gap
    await until(() => r.cards.length === 3);
    assert.is(r.cards[2]!.uid, '04112233445566');
    assert.equal(r.errors, []);
  } finally {
    await r.close();
  }
});

test('read and write a block; a wrong key is auth_failed and the right one works after it', async () => {
  const r = await rig();
  try {
    const secret = Buffer.from('a0a1a2a3a4a5', 'hex');
    const card = new MifareClassicCard({ uid: 'deadbeef', keys: { 1: secret } });
    r.sim.place(card);
    await until(() => r.cards.length === 1);
    const data = Buffer.from('TICKET-0001-ABCD');
    await r.reader.writeBlock(4, data, secret);
    assert.equal(card.blocks[4], data);
    assert.equal(await r.reader.readBlock(4, secret), data);
    assert.is(codeOf(await r.reader.readBlock(4, key).catch((e) => e)), 'auth_failed');
    assert.is(codeOf(await r.reader.writeBlock(5, data, key).catch((e) => e)), 'auth_failed');
    assert.equal(card.blocks[5], Buffer.alloc(16));
    assert.equal(await r.reader.readBlock(4, secret), data);
    assert.equal(await r.reader.readBlock(1, key), Buffer.alloc(16)); // sector 0 still on the default key
    // 7-byte UID: authentication uses its last four bytes
    const card7 = new MifareClassicCard({ uid: '04112233445566', blocks: { 8: Buffer.alloc(16, 7) } });
    r.sim.place(card7);
    assert.equal(await r.reader.readBlock(8, key), Buffer.alloc(16, 7));
  } finally {
    await r.close();
  }
});

test('bad arguments and no card are refused with codes', async () => {
  const r = await rig();
  try {
    const data = Buffer.alloc(16);
    assert.is(codeOf(await r.reader.readBlock(4, key).catch((e) => e)), 'no_card');
    assert.is(codeOf(await r.reader.writeBlock(0, data, key).catch((e) => e)), 'invalid_argument');
    assert.is(codeOf(await r.reader.writeBlock(7, data, key).catch((e) => e)), 'invalid_argument');
    assert.is(codeOf(await r.reader.writeBlock(4, Buffer.alloc(15), key).catch((e) => e)), 'invalid_argument');
    assert.is(codeOf(await r.reader.readBlock(64, key).catch((e) => e)), 'invalid_argument');
    assert.is(codeOf(await r.reader.readBlock(4, Buffer.alloc(5)).catch((e) => e)), 'invalid_argument');
  } finally {
    await r.close();
  }
  const stopped = new Pn532Reader({ path: '/nonexistent', baudRate: 115200, pollMs: 100, ackTimeoutMs: 100, responseTimeoutMs: 100 });
  assert.is(codeOf(await stopped.readBlock(4, key).catch((e) => e)), 'not_started');
});

test('line faults: noise and a corrupt response are survived (NACK resend); silence times out and recovers', async () => {
  const r = await rig();
  try {
    const card = new MifareClassicCard({ uid: '01020304', blocks: { 4: Buffer.alloc(16, 0x44) } });
    r.sim.place(card);
    await until(() => r.cards.length === 1);
    r.sim.faults.push('corrupt-response', 'noise', 'corrupt-response');
    assert.equal(await r.reader.readBlock(4, key), Buffer.alloc(16, 0x44));
    const codes = r.errors.map((e) => e.code);
    assert.ok(codes.includes('bad_checksum'), codes.join());
    assert.ok(codes.includes('bad_frame'), codes.join());
    r.sim.faults.push('silent');
    await until(() => r.errors.some((e) => e.code === 'timeout'));
    assert.equal(await r.reader.readBlock(4, key), Buffer.alloc(16, 0x44));
  } finally {
    await r.close();
  }
});

test('a reader that was power-cycled (asleep again) is woken and read again', async () => {
  const r = await rig();
  try {
    r.sim.place(new MifareClassicCard({ uid: '0a0b0c0d' }));
    await until(() => r.cards.length === 1);
    r.sim.powerCycle(); // asleep, card gone
    await until(() => r.errors.some((e) => e.code === 'timeout'));
    await until(() => r.sim.awake); // the driver sent the wake-up again
    r.sim.place(new MifareClassicCard({ uid: '0a0b0c0d' }));
    await until(() => r.cards.length === 2);
  } finally {
    await r.close();
  }
});

test('unplugged and plugged back in: polling resumes', async () => {
  const r = await rig();
  try {
    r.sim.place(new MifareClassicCard({ uid: '11223344' }));
    await until(() => r.cards.length === 1);
    await r.sim.stop();
    await r.pty.kill();
    await until(() => r.reader.present === undefined);
    await r.pty.reopen();
    const sim2 = new Pn532Sim({ path: r.pty.b, baudRate: 115200 });
    await sim2.start();
    sim2.place(new MifareClassicCard({ uid: '11223344' }));
    await until(() => r.cards.length === 2, 6000);
    await sim2.stop();
  } finally {
    await r.close();
  }
});

test('stop() and start() again: the card on the antenna is reported anew', async () => {
  const r = await rig();
  try {
    r.sim.place(new MifareClassicCard({ uid: '55667788' }));
    await until(() => r.cards.length === 1);
    await r.reader.stop();
    assert.is(r.reader.present, undefined);
    const n = r.sim.received.length;
    await new Promise((res) => setTimeout(res, 100));
    assert.is(r.sim.received.length, n, 'no polling while stopped');
    await r.reader.start();
    await until(() => r.cards.length === 2);
    assert.equal(r.cards.map((c) => c.uid), ['55667788', '55667788']);
  } finally {
    await r.close();
  }
});

test('config defaults; bad values named', () => {
  const c = cardConfigSchema.parse({ driver: 'pn532', path: '/dev/ttyS1' });
  assert.is(c.baudRate, 115200);
  assert.is(c.pollMs, 200);
  assert.equal(cardConfigSchema.parse(c), c);
  assert.equal(cardConfigSchema.safeParse({ driver: 'pn532', path: '/dev/x', pollMs: 1 }).error?.issues[0]?.path, ['pollMs']);
  assert.ok(!cardConfigSchema.safeParse({ driver: 'acr122', path: '/dev/x' }).success);
});

test.run();
