import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeWiegand, encodeWiegand, wiegand26Uid, type Bit } from './codec.ts';

const bits = (s: string): Bit[] => [...s.replace(/ /g, '')].map((c) => (c === '1' ? 1 : 0));

test('Wiegand 26 frames written out by hand decode to facility and card number', () => {
  // facility 0, card 1: data bits 1-12 all 0 (even parity 0), 13-24 hold one 1 (odd parity 0).
  assert.equal(decodeWiegand(bits('0 00000000 0000000000000001 0')), {
    ok: true,
    card: { kind: 'wiegand26', uid: '000001', facility: 0, number: 1 },
  });
  // All 24 data bits set: twelve 1s in each half, so even parity 0 and odd parity 1.
  assert.equal(decodeWiegand(bits('0 11111111 1111111111111111 1')), {
    ok: true,
    card: { kind: 'wiegand26', uid: 'FFFFFF', facility: 255, number: 65535 },
  });
  // facility 18 (00010010), card 12345 (0011000000111001): first half 000100100011 has four
  // 1s (even parity 0), second half 000000111001 four (odd parity 1).
  assert.equal(decodeWiegand(bits('0 00010010 0011000000111001 1')), {
    ok: true,
    card: { kind: 'wiegand26', uid: '123039', facility: 18, number: 12345 },
  });
  assert.is(wiegand26Uid(18, 12345), '123039');
});

test('Wiegand 34 carries a 32-bit UID, parity over 16-bit halves', () => {
  // DEAD = 1101111010101101 (11 ones: even parity 1), BEEF = 1011111011101111 (13 ones: odd parity 0).
  const frame = bits('1 1101111010101101 1011111011101111 0');
  assert.equal(decodeWiegand(frame), { ok: true, card: { kind: 'wiegand34', uid: 'DEADBEEF' } });
  assert.equal(encodeWiegand('wiegand34', 'deadbeef'), frame);
  assert.equal(decodeWiegand(encodeWiegand('wiegand34', '4')), { ok: true, card: { kind: 'wiegand34', uid: '00000004' } });
});

test('round trip over many payloads', () => {
  let x = 12345;
  for (let i = 0; i < 2000; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    const uid34 = x.toString(16).toUpperCase().padStart(8, '0');
    const uid26 = (x & 0xffffff).toString(16).toUpperCase().padStart(6, '0');
    const d34 = decodeWiegand(encodeWiegand('wiegand34', uid34));
    const d26 = decodeWiegand(encodeWiegand('wiegand26', uid26));
    assert.ok(d34.ok && d34.card.uid === uid34, uid34);
    assert.ok(d26.ok && d26.card.uid === uid26, uid26);
  }
});

test('every single flipped bit fails a parity check', () => {
  for (const frame of [encodeWiegand('wiegand26', 'A1B2C3'), encodeWiegand('wiegand34', '04A1B2C3')]) {
    for (let i = 0; i < frame.length; i++) {
      const bad = [...frame];
      bad[i] = (1 - bad[i]!) as Bit;
      const result = decodeWiegand(bad);
      assert.is(result.ok, false, `bit ${i} of ${frame.length}`);
      if (!result.ok) assert.is(result.error, 'bad_parity');
      if (!result.ok && result.error === 'bad_parity') {
        const half = (frame.length - 2) / 2;
        assert.is(result.which, i <= half ? 'even' : 'odd', `bit ${i} is covered by the ${i <= half ? 'even' : 'odd'} parity`);
      }
    }
  }
  const both = encodeWiegand('wiegand26', '000000');
  both[1] = 1;
  both[25] = 1;
  both[24] = 1;
  assert.equal(decodeWiegand(both), { ok: false, error: 'bad_parity', bits: 26, which: 'both' });
});

test('lengths other than 26 and 34 are bad_length', () => {
  for (const n of [0, 1, 4, 25, 27, 32, 33, 35, 37, 64]) {
    assert.equal(decodeWiegand(new Array<Bit>(n).fill(1)), { ok: false, error: 'bad_length', bits: n });
  }
});

test('encode refuses what does not fit', () => {
  assert.throws(() => encodeWiegand('wiegand26', '1000000'), RangeError);
  assert.throws(() => encodeWiegand('wiegand34', 'XYZ'), RangeError);
  assert.throws(() => encodeWiegand('wiegand34', ''), RangeError);
  assert.throws(() => wiegand26Uid(256, 0), RangeError);
  assert.throws(() => wiegand26Uid(0, 65536), RangeError);
});

test.run();
