import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeviceError } from '../errors.ts';
import { LineFramer, type LineOutput, type LineFramerOptions } from './lines.ts';

/** Feeds chunks, then an idle gap; returns lines and error codes in order. */
function feed(options: LineFramerOptions, chunks: (string | number[])[], idle = false): string[] {
  const framer = new LineFramer(options);
  const out: LineOutput[] = [];
  for (const c of chunks) out.push(...framer.push(Buffer.from(c as string)));
  if (idle) out.push(...framer.idle());
  return out.map((o) => ('line' in o ? o.line : `!${(o.error as DeviceError).code}`));
}

const cr = { suffix: 'cr', maxLength: 64 } as const;

test('CR suffix: one line per terminator, split and merged reads', () => {
  assert.equal(feed(cr, ['ABC', 'DEF\r']), ['ABCDEF']);
  assert.equal(feed(cr, ['A\rB\rC\r']), ['A', 'B', 'C']);
  assert.equal(feed(cr, ['A', '\r', 'B\rC']), ['A', 'B']); // C waits for its CR
  assert.equal(feed(cr, ['\r\r\r']), []); // empty lines are nothing
});

test('each suffix style', () => {
  assert.equal(feed({ suffix: 'lf', maxLength: 64 }, ['ONE\nTWO\n']), ['ONE', 'TWO']);
  assert.equal(feed({ suffix: 'crlf', maxLength: 64 }, ['ONE\r', '\nTWO\r\n']), ['ONE', 'TWO']);
  assert.equal(feed({ suffix: 'tab', maxLength: 64 }, ['ONE\tTWO\t']), ['ONE', 'TWO']);
  // No suffix: the idle gap ends the code; nothing before it.
  assert.equal(feed({ suffix: 'none', maxLength: 64 }, ['ONE', 'TWO']), []);
  assert.equal(feed({ suffix: 'none', maxLength: 64 }, ['ONE', 'TWO'], true), ['ONETWO']);
});

test('a CRLF scanner on a CR config still reads cleanly (LF reported as noise on the next line)', () => {
  assert.equal(feed(cr, ['ONE\r\nTWO\r\n']), ['ONE', '!bad_frame', 'TWO']);
});

test('noise is stripped and reported, the code survives', () => {
  assert.equal(feed(cr, [[0x00, 0xff >> 1, 0x41, 0x07, 0x42, 0x0d]]), ['!bad_frame', 'AB']);
  // A noise-only burst between codes gives an error and no code.
  assert.equal(feed(cr, ['X1\r', [0x00, 0x00, 0x1b, 0x0d], 'X2\r']), ['X1', '!bad_frame', 'X2']);
});

test('over-long garbage is dropped up to the next terminator; the next line reads', () => {
  const junk = 'Z'.repeat(200);
  assert.equal(feed(cr, [junk.slice(0, 70), junk.slice(70), '\rGOOD\r']), ['!line_too_long', 'GOOD']);
  assert.equal(feed(cr, ['A'.repeat(64) + '\r']), ['A'.repeat(64)]); // exactly the limit is fine
  assert.equal(feed({ suffix: 'none', maxLength: 8 }, ['123456789'], true), ['!line_too_long']);
});

test('a fragment without its suffix is dropped on idle and cannot prefix the next code', () => {
  const framer = new LineFramer(cr);
  assert.equal(framer.push(Buffer.from('GARB')), []);
  assert.ok(framer.pending);
  const dropped = framer.idle();
  assert.is(dropped.length, 1);
  assert.is(('error' in dropped[0]! && dropped[0].error.code), 'bad_frame');
  assert.equal(framer.push(Buffer.from('CODE\r')), [{ line: 'CODE' }]);
  assert.not.ok(framer.pending);
  assert.equal(framer.idle(), []);
});

test('UTF-8 text is decoded; broken UTF-8 is refused', () => {
  assert.equal(feed(cr, [Buffer.from('票ABC\r') as unknown as number[]]), ['票ABC']);
  const bytes = [...Buffer.from('票')];
  assert.equal(feed(cr, [bytes.slice(0, 2), [0x0d]]), ['!bad_frame']);
  assert.equal(feed(cr, [bytes.slice(0, 2), bytes.slice(2), [0x0d]]), ['票']); // split inside a character
});

test('recorded stream: random chunking gives the same result as one read', () => {
  const stream = Buffer.concat([
    Buffer.from('QR01\r'), Buffer.from([0x00, 0x13]), Buffer.from('QR02\r'), Buffer.from('Y'.repeat(100)), Buffer.from('\rQR03\r'),
  ]);
  const whole = feed(cr, [[...stream]]);
  assert.equal(whole, ['QR01', '!bad_frame', 'QR02', '!line_too_long', 'QR03']);
  let seed = 7;
  for (let trial = 0; trial < 200; trial++) {
    const chunks: number[][] = [];
    for (let i = 0; i < stream.length;) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = 1 + (seed % 9);
      chunks.push([...stream.subarray(i, i + n)]);
      i += n;
    }
    assert.equal(feed(cr, chunks), whole);
  }
});

test.run();
