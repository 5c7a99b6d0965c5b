import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeviceError } from '../errors.ts';
import { openPtyPair, type PtyPair } from '../testing/pty.ts';
import { PHOTO_BYTES } from './basic-info.ts';
import { createIdCardReader, idCardConfigSchema } from './create.ts';
import type { IdCardEvents } from './port.ts';
import type { SamReader } from './sam-reader.ts';
import { SamSim, type SimIdCard } from './sam-sim.ts';

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const photo = Buffer.alloc(PHOTO_BYTES);
for (let i = 0; i < photo.length; i++) photo[i] = (i * 7) & 0xff;

const card: SimIdCard = {
  name: '李四', sexCode: '2', nationCode: '03', birthDate: '1949-12-31', address: '北京市西城区某街1号',
  idNumber: '11010519491231002X', authority: '北京市公安局西城分局', validFrom: '2010-01-01', validUntil: null, photoWlt: photo,
};

interface Rig {
  pty: PtyPair;
  reader: SamReader;
  sim: SamSim;
  reads: IdCardEvents['idcard'][];
  errors: DeviceError[];
  close(): Promise<void>;
}

async function rig(responseTimeoutMs = 1500): Promise<Rig> {
  const pty = await openPtyPair();
  const reader = (await createIdCardReader({ driver: 'sam', path: pty.a, pollMs: 30, responseTimeoutMs, reconnectMs: 20 })) as SamReader;
  const sim = new SamSim({ path: pty.b, baudRate: 115200 });
  const reads: IdCardEvents['idcard'][] = [];
  const errors: DeviceError[] = [];
  reader.on('idcard', (c) => reads.push(c));
  reader.on('error', (e) => errors.push(e as DeviceError));
  await sim.start();
  await reader.start();
  return {
    pty, reader, sim, reads, errors,
    async close() {
      await reader.stop();
      await sim.stop();
      await pty.close();
    },
  };
}

test('a card on the reader is read once per presentation, text and photo decoded', async () => {
  const r = await rig();
  try {
    await until(() => r.sim.received.length > 2); // polling with nothing there
    assert.equal(r.reads, []);
    r.sim.place(card);
    await until(() => r.reads.length === 1);
    const read = r.reads[0]!;
    assert.equal({ ...read, photoWlt: read.photoWlt.length }, {
      name: '李四', sex: '女', nation: '回', nationCode: '03', birthDate: '1949-12-31', address: '北京市西城区某街1号',
      idNumber: '11010519491231002X', authority: '北京市公安局西城分局', validFrom: '2010-01-01', validUntil: null, photoWlt: 1024,
    });
    assert.equal(read.photoWlt, photo);
    const n = r.sim.received.length;
    await until(() => r.sim.received.length > n + 5); // still lying there
    assert.is(r.reads.length, 1);
    r.sim.remove();
    await sleep(60);
    r.sim.place(card);
    await until(() => r.reads.length === 2);
    assert.equal(r.errors, []);
    assert.equal(r.sim.received.filter((c) => c === '30 01').length, 2);
  } finally {
    await r.close();
  }
});

test('an ID number failing the GB 11643 check is refused with an error, not read', async () => {
  const r = await rig();
  try {
    r.sim.place({ ...card, idNumber: '110105194912310021' });
    await until(() => r.errors.length === 1);
    assert.is(r.errors[0]!.code, 'invalid_id_number');
    assert.is(r.errors[0]!.context.idNumber, '110105***********1'); // masked
    await sleep(100);
    assert.equal(r.reads, []);
    r.sim.place(card);
    await until(() => r.reads.length === 1);
  } finally {
    await r.close();
  }
});

test('split answers read; noise and corrupt or missing answers are errors, then reading resumes', async () => {
  const r = await rig();
  try {
    r.sim.faults.push('split', 'split', 'split'); // find, select, read each in several writes
    r.sim.place(card);
    await until(() => r.reads.length === 1);
    assert.equal(r.errors, []);
    r.sim.remove();
    await until(() => r.sim.received.length > 0 && r.sim.faults.length === 0);
    r.sim.faults.push('noise', 'corrupt', 'silent');
    await until(() => r.sim.faults.length === 0);
    r.sim.place(card);
    await until(() => r.reads.length === 2);
    const codes = r.errors.map((e) => e.code);
    assert.ok(codes.includes('bad_frame'), codes.join());
    assert.ok(codes.includes('bad_checksum'), codes.join());
    assert.ok(codes.includes('timeout'), codes.join());
  } finally {
    await r.close();
  }
});

test('a corrupt, cut short or missing answer to select or read: read again while the card stays on', async () => {
  const r = await rig(400);
  try {
    // Each fault hits the answer to the command named; the card is never lifted.
    const plan: [string, 'corrupt' | 'truncated' | 'silent'][] = [['20 02', 'silent'], ['30 01', 'corrupt'], ['30 01', 'truncated'], ['30 01', 'silent']];
    r.sim.on('command', ({ cmd }) => {
      if (plan[0]?.[0] === cmd) r.sim.faults.push(plan.shift()![1]);
    });
    r.sim.place(card);
    await until(() => r.reads.length === 1, 8000);
    assert.is(plan.length, 0, 'every fault was served');
    assert.is(r.reads[0]!.idNumber, card.idNumber);
    const codes = r.errors.map((e) => e.code);
    assert.ok(codes.includes('bad_checksum') && codes.includes('timeout'), codes.join());
    // Selected once, read at the fourth try, and not read again while it lies there.
    assert.is(r.sim.received.filter((c) => c === '20 02').length, 1, r.sim.received.join());
    assert.is(r.sim.received.filter((c) => c === '30 01').length, 4, r.sim.received.join());
    const n = r.sim.received.length;
    await until(() => r.sim.received.length > n + 5);
    assert.is(r.reads.length, 1);
  } finally {
    await r.close();
  }
});

test('unplugged and plugged back in: reading resumes', async () => {
  const r = await rig();
  try {
    await r.sim.stop();
    await r.pty.kill();
    await until(() => r.errors.some((e) => e.code === 'serial_unavailable' || e.code === 'timeout'));
    await r.pty.reopen();
    const sim2 = new SamSim({ path: r.pty.b, baudRate: 115200 });
    await sim2.start();
    sim2.place(card);
    await until(() => r.reads.length === 1, 6000);
    await sim2.stop();
  } finally {
    await r.close();
  }
});

test('stop() and start() again: no polling while stopped, reading after', async () => {
  const r = await rig();
  try {
    await r.reader.stop();
    const n = r.sim.received.length;
    await sleep(100);
    assert.is(r.sim.received.length, n);
    r.sim.place(card);
    await r.reader.start();
    await until(() => r.reads.length === 1);
  } finally {
    await r.close();
  }
});

test('config defaults; a bad key is named', () => {
  const c = idCardConfigSchema.parse({ driver: 'sam', path: '/dev/ttyUSB1' });
  assert.is(c.baudRate, 115200);
  assert.is(c.pollMs, 300);
  assert.equal(idCardConfigSchema.parse(c), c);
  assert.equal(idCardConfigSchema.safeParse({ driver: 'sam', path: '' }).error?.issues[0]?.path, ['path']);
});

test.run();
