import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ACK, encodeFrame, ERROR_FRAME, NACK, Pn532FrameParser, type Pn532Output } from './pn532-frame.ts';

const h = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

/** One line per output: "frame d5 0332010607", "ack", "!bad_checksum". */
function show(outs: Pn532Output[]): string[] {
  return outs.map((o) => {
    if (o.type === 'frame') return `frame ${o.tfi.toString(16)} ${o.data.toString('hex')}`;
    if (o.type === 'error') return `!${o.error.code}`;
    return o.type;
  });
}

function feed(chunks: Buffer[]): string[] {
  const p = new Pn532FrameParser();
  return chunks.flatMap((c) => show(p.push(c)));
}

// GetFirmwareVersion and its answer, as in UM0701-02 and on the wire from a PN532 v1.6.
const GET_FW = h('00 00 ff 02 fe d4 02 2a 00');
const FW_REPLY = h('00 00 ff 06 fa d5 03 32 01 06 07 e8 00');

test('encodes the documented frames', () => {
  assert.equal(encodeFrame(0xd4, h('02')), GET_FW);
  assert.equal(encodeFrame(0xd5, h('03 32 01 06 07')), FW_REPLY);
  // SAMConfiguration normal mode, 1 s timeout, IRQ on
  assert.equal(encodeFrame(0xd4, h('14 01 14 01')), h('00 00 ff 05 fb d4 14 01 14 01 02 00'));
});

test('ACK, NACK, error frame and a response, merged in one read or split byte by byte', () => {
  const stream = Buffer.concat([ACK, FW_REPLY, NACK, ERROR_FRAME]);
  const expected = ['ack', 'frame d5 0332010607', 'nack', 'syntax_error'];
  assert.equal(feed([stream]), expected);
  assert.equal(feed([...stream].map((b) => Buffer.from([b]))), expected);
});

test('the wake-up preamble and zero padding are not noise; other stray bytes are, once', () => {
  assert.equal(feed([h('55 55 00 00 00 00'), GET_FW]), ['frame d4 02']);
  assert.equal(feed([h('13 37 fe'), ACK]), ['!bad_frame', 'ack']);
});

test('bad length checksum: reported, and the frame right behind it is found', () => {
  assert.equal(feed([h('00 00 ff 06 fb d5 03'), FW_REPLY]), ['!bad_checksum', '!bad_frame', 'frame d5 0332010607']);
});

test('bad data checksum: reported, search resumes after the start code', () => {
  const bad = Buffer.from(FW_REPLY);
  bad[11] = 0xe9;
  assert.equal(feed([bad, ACK]), ['!bad_checksum', '!bad_frame', 'ack']);
  const out = feed([bad.subarray(0, 5), bad.subarray(5), FW_REPLY]);
  assert.equal(out.filter((o) => !o.startsWith('!')), ['frame d5 0332010607']);
  assert.is(out[0], '!bad_checksum');
});

test('unknown TFI is an error, not a frame', () => {
  assert.equal(feed([encodeFrame(0x42, h('01'))]), ['!bad_frame']);
});

test('extended frames round-trip', () => {
  const data = Buffer.alloc(400, 0xab);
  const frame = encodeFrame(0xd5, data);
  assert.equal([...frame.subarray(0, 5)], [0x00, 0x00, 0xff, 0xff, 0xff]);
  assert.equal(feed([frame.subarray(0, 7), frame.subarray(7)]), [`frame d5 ${data.toString('hex')}`]);
});

test('a partial frame waits; reset() drops it', () => {
  const p = new Pn532FrameParser();
  assert.equal(p.push(FW_REPLY.subarray(0, 8)), []);
  assert.ok(p.pending > 0);
  p.reset();
  assert.equal(show(p.push(ACK)), ['ack']);
});

test('random garbage never throws, and a good frame after it is always found', () => {
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  for (let trial = 0; trial < 1000; trial++) {
    const junk = Buffer.from(Array.from({ length: Math.floor(rand() * 40) }, () => {
      const r = rand();
      return r < 0.2 ? 0x00 : r < 0.35 ? 0xff : Math.floor(rand() * 256); // start-code bytes often
    }));
    // Enough padding for any bogus normal-frame header in the junk to complete and fail.
    const stream = Buffer.concat([junk, FW_REPLY, Buffer.alloc(260)]);
    const p = new Pn532FrameParser();
    const outs: Pn532Output[] = [];
    let i = 0;
    while (i < stream.length) {
      const n = 1 + Math.floor(rand() * 16);
      outs.push(...p.push(stream.subarray(i, i + n)));
      i += n;
    }
    const frames = show(outs).filter((o) => o.startsWith('frame d5 0332'));
    assert.ok(frames.length === 1, `trial ${trial}: ${junk.toString('hex')} -> ${show(outs).join(', ')}`);
  }
});

test.run();
