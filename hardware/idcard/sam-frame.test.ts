import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeSamFrame, SamFrameParser, type SamOutput } from './sam-frame.ts';

const h = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

function show(outs: SamOutput[]): string[] {
  return outs.map((o) => ('error' in o ? `!${o.error.code}` : o.body.toString('hex')));
}

function feed(chunks: Buffer[]): string[] {
  const p = new SamFrameParser();
  return chunks.flatMap((c) => show(p.push(c)));
}

// As on the wire between a terminal and its SAM (GA 467 examples).
const FIND = h('aa aa aa 96 69 00 03 20 01 22');
const SELECT = h('aa aa aa 96 69 00 03 20 02 21');
const READ = h('aa aa aa 96 69 00 03 30 01 32');
const FOUND = h('aa aa aa 96 69 00 08 00 00 9f 00 00 00 00 97');
const NOT_FOUND = h('aa aa aa 96 69 00 04 00 00 80 84');
const SELECTED = h('aa aa aa 96 69 00 0c 00 00 90 00 00 00 00 00 00 00 00 9c');

test('encodes the documented requests and answers', () => {
  assert.equal(encodeSamFrame(h('20 01')), FIND);
  assert.equal(encodeSamFrame(h('20 02')), SELECT);
  assert.equal(encodeSamFrame(h('30 01')), READ);
  assert.equal(encodeSamFrame(h('00 00 9f 00 00 00 00')), FOUND);
  assert.equal(encodeSamFrame(h('00 00 80')), NOT_FOUND);
  assert.equal(encodeSamFrame(Buffer.concat([h('00 00 90'), Buffer.alloc(8)])), SELECTED);
});

test('merged in one read and split byte by byte give the same frames', () => {
  const stream = Buffer.concat([FOUND, SELECTED, NOT_FOUND]);
  const expected = ['00009f00000000', '0000900000000000000000', '000080'];
  assert.equal(feed([stream]), expected);
  assert.equal(feed([...stream].map((b) => Buffer.from([b]))), expected);
});

test('a long answer (basic info, 1295 bytes) across many reads', () => {
  const body = Buffer.concat([h('00 00 90 01 00 04 00'), Buffer.alloc(1280, 0x41)]);
  const frame = encodeSamFrame(body);
  assert.equal([...frame.subarray(5, 7)], [0x05, 0x08]);
  const chunks: Buffer[] = [];
  for (let i = 0; i < frame.length; i += 100) chunks.push(frame.subarray(i, i + 100));
  assert.equal(feed(chunks), [body.toString('hex')]);
});

test('noise before a frame is reported once; a preamble split at a read boundary is kept', () => {
  assert.equal(feed([h('01 02 03 aa aa'), h('aa 96 69 00 04 00 00 80 84')]), ['!bad_frame', '000080']);
  assert.equal(feed([h('aa aa aa 96'), h('69 00 04 00 00 80 84')]), ['000080']);
});

test('a bad checksum is reported and the next frame read', () => {
  const bad = Buffer.from(FOUND);
  bad[bad.length - 1] = 0x00;
  const out = feed([bad, NOT_FOUND]);
  assert.is(out[0], '!bad_checksum');
  assert.equal(out.filter((o) => !o.startsWith('!')), ['000080']);
});

test('an impossible length is skipped without waiting for 60 KB', () => {
  const out = feed([h('aa aa aa 96 69 ff ff 00'), NOT_FOUND]);
  assert.is(out[0], '!bad_frame');
  assert.equal(out.filter((o) => !o.startsWith('!')), ['000080']);
  assert.equal(feed([h('aa aa aa 96 69 00 01 01'), NOT_FOUND]).filter((o) => !o.startsWith('!')), ['000080']);
});

test('random garbage never throws, and the frame after it is found', () => {
  let seed = 9;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const parts = [0xaa, 0x96, 0x69, 0x00];
  for (let trial = 0; trial < 1000; trial++) {
    const junk = Buffer.from(Array.from({ length: Math.floor(rand() * 50) }, () => (rand() < 0.5 ? parts[Math.floor(rand() * 4)]! : Math.floor(rand() * 256))));
    const stream = Buffer.concat([junk, FOUND]);
    const p = new SamFrameParser();
    const outs: SamOutput[] = [];
    for (let i = 0; i < stream.length;) {
      const n = 1 + Math.floor(rand() * 32);
      outs.push(...p.push(stream.subarray(i, i + n)));
      i += n;
    }
    outs.push(...p.push(Buffer.alloc(MAXPAD)));
    const frames = show(outs).filter((o) => o === '00009f00000000');
    assert.ok(frames.length === 1, `trial ${trial}: ${junk.toString('hex')}`);
  }
});

/** Enough bytes for a bogus header in the junk (length up to MAX_LEN) to complete and fail its checksum. */
const MAXPAD = 4100;

test.run();
