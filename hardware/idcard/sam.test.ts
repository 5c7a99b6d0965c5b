import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeviceError } from '../errors.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import { SAM_CMD, SamHost } from './sam.ts';
import { encodeSamFrame } from './sam-frame.ts';

const h = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const FOUND = h('aa aa aa 96 69 00 08 00 00 9f 00 00 00 00 97');
const NOT_FOUND = h('aa aa aa 96 69 00 04 00 00 80 84');

function host() {
  const timers = new FakeTimers();
  const written: Buffer[] = [];
  const errors: DeviceError[] = [];
  const sam = new SamHost({ write: async (b) => void written.push(Buffer.from(b)), timers, responseTimeoutMs: 500, onError: (e) => errors.push(e) });
  return { sam, timers, written, errors };
}
const tick = () => new Promise((r) => setImmediate(r));
const settle = <T>(p: Promise<T>) => p.then((v) => ({ ok: v }), (e: DeviceError) => ({ err: e.code }));

test('find card: the documented request, the answer split or merged with noise', async () => {
  for (const chunks of [[FOUND], [...FOUND].map((b) => Buffer.from([b])), [Buffer.concat([h('00 01 02'), FOUND])]]) {
    const { sam, written, errors } = host();
    const result = sam.command(SAM_CMD.find);
    await tick();
    assert.equal(written, [h('aa aa aa 96 69 00 03 20 01 22')]);
    for (const c of chunks) sam.receive(c);
    const a = await result;
    assert.equal(a.sw, [0, 0, 0x9f]);
    assert.equal(a.data, Buffer.alloc(4));
    assert.is(errors.length, chunks.length === 1 && chunks[0]!.length > FOUND.length ? 1 : 0);
  }
});

test('a corrupt answer is reported and times out; a late answer after that is reported, not misattributed', async () => {
  const { sam, timers, errors } = host();
  const first = settle(sam.command(SAM_CMD.find));
  await tick();
  const bad = Buffer.from(FOUND);
  bad[9] = 0x90;
  sam.receive(bad);
  timers.advance(500);
  assert.equal(await first, { err: 'timeout' });
  assert.ok(errors.some((e) => e.code === 'bad_checksum'));
  const second = settle(sam.command(SAM_CMD.find));
  await tick();
  timers.advance(500);
  assert.equal(await second, { err: 'timeout' });
  sam.receive(NOT_FOUND); // the answer to the second, too late
  assert.is(errors.at(-1)!.code, 'bad_frame');
  const third = sam.command(SAM_CMD.find);
  await tick();
  sam.receive(NOT_FOUND);
  assert.equal((await third).sw, [0, 0, 0x80]);
  assert.is(timers.pendingCount, 0);
});

test('an answer too short to hold a status is an error; one command at a time', async () => {
  const { sam, errors } = host();
  const first = settle(sam.command(SAM_CMD.find));
  assert.equal(await settle(sam.command(SAM_CMD.select)), { err: 'busy' });
  await tick();
  sam.receive(encodeSamFrame(h('00 00')));
  assert.is(errors[0]!.code, 'bad_frame');
  sam.receive(FOUND);
  assert.ok('ok' in (await first));
  sam.close();
  assert.equal(await settle(sam.command(SAM_CMD.find)), { err: 'serial_unavailable' });
});

test.run();
