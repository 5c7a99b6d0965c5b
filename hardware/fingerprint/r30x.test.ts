import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeviceError } from '../errors.ts';
import { openPtyPair, type PtyPair } from '../testing/pty.ts';
import { createFingerprintReader, fingerprintConfigSchema, type FingerprintConfigInput } from './create.ts';
import type { FingerprintEvents } from './port.ts';
import { INS } from './protocol.ts';
import type { R30xReader } from './r30x.ts';
import { FingerprintSim, simTemplate, type FingerprintSimOptions } from './sim.ts';

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Rig {
  pty: PtyPair;
  reader: R30xReader;
  sim: FingerprintSim;
  errors: DeviceError[];
  presses: FingerprintEvents['press'][];
  close(): Promise<void>;
}

async function rig(config: Partial<FingerprintConfigInput> = {}, sim: Partial<FingerprintSimOptions> = {}): Promise<Rig> {
  const pty = await openPtyPair();
  const reader = (await createFingerprintReader({
    driver: 'r30x', path: pty.a, pollMs: 20, captureTimeoutMs: 600, responseTimeoutMs: 500, reconnectMs: 20, ...config,
  } as FingerprintConfigInput)) as R30xReader;
  const s = new FingerprintSim({ path: pty.b, baudRate: 57600, ...sim });
  const errors: DeviceError[] = [];
  const presses: FingerprintEvents['press'][] = [];
  reader.on('error', (e) => errors.push(e as DeviceError));
  reader.on('press', (p) => presses.push(p));
  await s.start();
  await reader.start();
  await until(() => s.received.includes(INS.vfyPwd));
  return {
    pty, reader, sim: s, errors, presses,
    async close() {
      await reader.stop();
      await s.stop();
      await pty.close();
    },
  };
}

/**
 * A visitor at the window: the finger is on; lifted once the module has made a character file;
 * put back (the next finger of `ids`) once the module has seen the sensor empty.
 */
function presser(sim: FingerprintSim, ids: string[]): () => void {
  let lifted = false;
  sim.place({ id: ids.shift()! });
  const onCommand = ({ ins }: { ins: number }) => {
    if (ins === INS.img2Tz) {
      sim.lift();
      lifted = true;
    } else if (ins === INS.genImg && lifted && ids.length) {
      lifted = false;
      const id = ids.shift()!;
      setTimeout(() => sim.place({ id }), 10);
    }
  };
  sim.on('command', onCommand);
  return () => sim.off('command', onCommand);
}

test('enrol: two presses merged, template uploaded; stored, searched 1:N, matched 1:1', async () => {
  const r = await rig();
  try {
    const stop = presser(r.sim, ['alice', 'alice']);
    const enrolled = await r.reader.enrol();
    stop();
    assert.ok(enrolled.ok, JSON.stringify(enrolled));
    if (!enrolled.ok) return;
    assert.is(enrolled.template.length, 512);
    assert.equal(enrolled.template.subarray(0, 256), simTemplate('alice').subarray(0, 256));

    await r.reader.storeTemplate(7, enrolled.template);
    await r.reader.storeTemplate(8, simTemplate('bob'));
    assert.is(await r.reader.templateCount(), 2);
    assert.equal(await r.reader.loadTemplate(7), enrolled.template);

    r.sim.place({ id: 'alice' });
    const found = await r.reader.identify();
    assert.ok(found.ok && found.page === 7 && found.score >= 100, JSON.stringify(found));
    const one = await r.reader.verify(enrolled.template);
    assert.ok(one.ok, JSON.stringify(one));
    const other = await r.reader.verify(simTemplate('bob'));
    assert.equal(other, { ok: false, reason: 'no_match' });

    r.sim.place({ id: 'carol' });
    assert.equal(await r.reader.identify(), { ok: false, reason: 'no_match' });
    r.sim.lift();
    assert.equal(await r.reader.identify(), { ok: false, reason: 'no_finger' });
    r.sim.place({ id: 'alice', quality: 'poor' });
    assert.equal(await r.reader.verify(enrolled.template), { ok: false, reason: 'poor_image' });

    await r.reader.clear();
    assert.is(await r.reader.templateCount(), 0);
    assert.equal(r.errors, []);
  } finally {
    await r.close();
  }
});

test('enrol with two different fingers: merge failed', async () => {
  const r = await rig();
  try {
    presser(r.sim, ['a', 'b']);
    const out = await r.reader.enrol();
    assert.equal(out, { ok: false, reason: 'merge_failed' });
  } finally {
    await r.close();
  }
});

test('templates in small data packets (32 bytes: 16 packets) both ways; answers split in 5-byte pieces', async () => {
  const r = await rig({ packetSize: 32 }, { packetSize: 32 });
  try {
    const t = simTemplate('dora', 3);
    r.sim.faults.push('split', 'split', 'split');
    await r.reader.storeTemplate(0, t);
    assert.equal(r.sim.library.get(0), t);
    r.sim.faults.push('split', 'split');
    assert.equal(await r.reader.loadTemplate(0), t);
    assert.equal(r.errors, []);
  } finally {
    await r.close();
  }
});

test('a corrupt upload fails at once; a corrupt ack times out; noise reported; the next command works', async () => {
  const r = await rig();
  try {
    await r.reader.storeTemplate(1, simTemplate('erin'));
    r.sim.faults.push('corrupt'); // the ack of LoadChar
    await r.reader.loadTemplate(1).then(() => assert.unreachable('corrupt ack taken'), (e: DeviceError) => assert.is(e.code, 'timeout'));
    r.sim.faults.push(undefined as never, 'corrupt'); // LoadChar fine, the end of the UpChar upload corrupt
    const t0 = Date.now();
    await r.reader.loadTemplate(1).then(() => assert.unreachable('corrupt upload taken'), (e: DeviceError) => assert.is(e.code, 'bad_checksum'));
    assert.ok(Date.now() - t0 < 400, 'failed without waiting for the timeout');
    r.sim.faults.push('noise');
    assert.is(await r.reader.templateCount(), 1);
    assert.equal(await r.reader.loadTemplate(1), simTemplate('erin'));
    const codes = r.errors.map((e) => e.code);
    assert.ok(codes.includes('bad_checksum') && codes.includes('bad_frame'), codes.join());
  } finally {
    await r.close();
  }
});

test('a command the module got corrupted is answered 01 and sent again', async () => {
  const r = await rig();
  try {
    r.sim.faults.push('garbled');
    assert.is(await r.reader.templateCount(), 0);
    assert.equal(r.sim.received.slice(-2), [INS.templateNum, INS.templateNum]);
  } finally {
    await r.close();
  }
});

test('watch mode: one press event per press, poor presses reported, matched against the last press', async () => {
  const r = await rig({ watch: true });
  try {
    await r.reader.storeTemplate(3, simTemplate('fay'));
    r.sim.place({ id: 'fay' });
    await until(() => r.presses.length === 1);
    const n = r.sim.received.length;
    await until(() => r.sim.received.length > n + 5);
    assert.is(r.presses.length, 1, 'one event while the finger stays');
    assert.equal(r.presses[0], { ok: true });
    const hit = await r.reader.searchPress();
    assert.ok(hit.ok && hit.page === 3, JSON.stringify(hit));
    assert.ok((await r.reader.matchPress(simTemplate('fay', 9))).ok);
    r.sim.lift();
    await until(() => r.sim.received.filter((i) => i === INS.genImg).length > 0);
    await new Promise((res) => setTimeout(res, 60));
    r.sim.place({ id: 'fay', quality: 'poor' });
    await until(() => r.presses.length === 2);
    assert.equal(r.presses[1], { ok: false, reason: 'poor_image' });
  } finally {
    await r.close();
  }
});

test('a wrong password is refused with auth_failed', async () => {
  const r = await rig({ password: 1234 }, { password: 99 });
  try {
    await until(() => r.errors.some((e) => e.code === 'auth_failed'));
  } finally {
    await r.close();
  }
});

test('config defaults; a bad key is named', () => {
  const c = fingerprintConfigSchema.parse({ driver: 'r30x', path: '/dev/ttyUSB2' });
  assert.is(c.baudRate, 57600);
  assert.is(c.packetSize, 128);
  assert.is(c.capacity, 1000);
  assert.equal(fingerprintConfigSchema.safeParse({ driver: 'r30x', path: '/x', packetSize: 100 }).error?.issues[0]?.path, ['packetSize']);
});

test.run();
