import { sign, type KeyObject } from 'node:crypto';
import { MAX_CODE_TEXT, packPayload, type TicketFacts } from '../../../shared/code/ticket-code.ts';
import type { Credential } from '../../../shared/rules/credential.ts';
import type { Refusal } from '../../../shared/rules/reasons.ts';
import { B32_ALPHABET, b32decode, b32encode, idCheckChar, randomIdNumber, randomUuid, type Corpus, type IssuedCode } from './fuzz-corpus.ts';
import type { Prng } from './prng.ts';

/** One scanner (or reader) input and what the generator knows about it for sure. */
export interface FuzzInput {
  gen: string;
  input: string | Credential;
  /** False for objects a typed driver could not produce (value not a string, unknown kind). */
  typed: boolean;
  /** The only acceptable refusal reason, where it follows from how the input was made. */
  expect?: Refusal;
  /** The ticket the input must resolve to (admitted, or refused for a ticket reason). */
  resolves?: string;
}

type Gen = (rng: Prng, c: Corpus) => Omit<FuzzInput, 'gen' | 'typed'> & { typed?: boolean };

/** What String.prototype.trim removes: surrounding these is harmless. */
export const WHITESPACE = [' ', '\t', '\n', '\r', '\r\n', '\v', '\f', '\u00a0', '\u1680', '\u2003', '\u2028', '\u2029', '\u202f', '\u3000', '\ufeff'];
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
const CODE_BITS = 102 * 8;

const codeFacts = (rng: Prng, c: Corpus): TicketFacts => ({
  ticketId: rng.chance(0.5) ? rng.pick(c.codes).ticketId : randomUuid(rng),
  typeId: rng.pick([1, 2, 99]), validFrom: c.window.from, validUntil: c.window.until, persons: rng.between(1, 5), entries: rng.between(0, 3),
});

const ws = (rng: Prng, max: number) => {
  let s = '';
  for (let n = rng.int(max + 1); n > 0; n--) s += rng.pick(WHITESPACE);
  return s;
};

const randomCase = (rng: Prng, s: string, p = 0.3) => [...s].map((ch) => (rng.chance(p) ? ch.toLowerCase() : ch)).join('');

/** Unicode junk: CJK, emoji, combining marks, lone surrogates, controls, bidi and zero-width, fullwidth, private use. */
const UNICODE_RANGES: [number, number][] = [
  [0x4e00, 0x9fff], [0x1f300, 0x1faff], [0x300, 0x36f], [0xd800, 0xdfff], [0x0, 0x1f], [0x200b, 0x200f],
  [0x202a, 0x202e], [0xff01, 0xff5e], [0xe000, 0xf8ff], [0xfff0, 0xffff], [0x80, 0x2ff],
];
function unicodeJunk(rng: Prng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const [lo, hi] = rng.pick(UNICODE_RANGES);
    const cp = rng.between(lo, hi);
    s += cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
  }
  return s;
}

/** Text edits of a genuine code. Most change its bytes; the oracle decides by decoding, not by intent. */
function mutateText(rng: Prng, text: string): string {
  let s = text;
  for (let ops = rng.between(1, 3); ops > 0; ops--) {
    const at = rng.int(s.length + 1);
    switch (rng.int(10)) {
      case 0: { // substitute within the alphabet
        const ch = s[at] ?? 'A';
        const other = B32_ALPHABET.replace(ch.toUpperCase(), '');
        s = s.slice(0, at) + rng.pick([...other]) + s.slice(at + 1);
        break;
      }
      case 1: s = s.slice(0, at) + rng.pick([...PRINTABLE]) + s.slice(at + 1); break;
      case 2: s = s.slice(0, at) + rng.pick([...B32_ALPHABET, ...PRINTABLE]) + s.slice(at); break;
      case 3: s = s.slice(0, at) + s.slice(at + 1); break;
      case 4: s = s.slice(0, rng.int(s.length)); break;
      case 5: { // swap neighbours
        if (at + 1 < s.length) s = s.slice(0, at) + s[at + 1] + s[at] + s.slice(at + 2);
        break;
      }
      case 6: { // duplicate a run
        const n = rng.between(1, 8);
        s = s.slice(0, at + n) + s.slice(at, at + n) + s.slice(at + n);
        break;
      }
      case 7: s = s.slice(0, at) + rng.pick(WHITESPACE) + s.slice(at); break; // inside, not around
      case 8: s = randomCase(rng, s); break;
      case 9: s = rng.chance(0.5) ? s + s : s.slice(rng.between(1, 20)); break;
    }
  }
  return s;
}

/** Unicode characters whose toUpperCase lands in A-Z: a lenient parser reads them as the code. */
function foldConfusables(rng: Prng, text: string): string {
  const swaps: [string, string][] = [['S', 'ſ'], ['I', 'ı'], ['ST', 'ﬆ'], ['SS', 'ß'], ['FF', 'ﬀ']];
  let s = text;
  for (let n = rng.between(1, 3); n > 0; n--) {
    const [from, to] = rng.pick(swaps);
    const at = s.indexOf(from, rng.int(s.length));
    if (at >= 0) s = s.slice(0, at) + to + s.slice(at + from.length);
  }
  return s === text ? s.replace('S', 'ſ') : s;
}

function flipBits(rng: Prng, code: IssuedCode): { text: string; expect: Refusal } {
  const bytes = Buffer.from(code.bytes);
  const k = rng.chance(0.5) ? 1 : rng.between(2, 8);
  const positions = new Set<number>();
  // Half the flips aim at the 38-byte payload, where a forgery would have to change something.
  while (positions.size < k) positions.add(rng.chance(0.5) ? rng.int(38 * 8) : rng.int(CODE_BITS));
  const touched = new Set<number>();
  for (const p of positions) {
    bytes[p >> 3]! ^= 0x80 >> (p & 7);
    touched.add(p >> 3);
  }
  const has = (lo: number, hi: number) => [...touched].some((b) => b >= lo && b <= hi);
  // The order the layout is checked in: version and flags first, then the key id, then the signature.
  const expect: Refusal = has(0, 0) || has(37, 37) ? 'malformed' : has(1, 4) ? 'unknown_key' : 'forged';
  return { text: b32encode(bytes), expect };
}

const GENERATORS: [string, number, Gen][] = [
  ['bytes-latin1', 6, (r) => ({ input: r.bytes(r.int(300)).toString('latin1') })],
  ['bytes-utf8', 6, (r) => ({ input: r.bytes(r.int(300)).toString('utf8') })],
  ['ascii', 6, (r) => ({ input: r.string(PRINTABLE, r.chance(0.2) ? 164 : r.int(300)) })],
  ['b32-code-len', 4, (r) => ({ input: randomCase(r, r.string(B32_ALPHABET, 164), r.chance(0.5) ? 0 : 0.5) })],
  ['b32-other-len', 4, (r) => {
    let n = r.chance(0.5) ? r.between(150, 180) : r.between(1, 300);
    if (n === 164) n++;
    return { input: r.string(B32_ALPHABET, n) };
  }],
  ['b32-payload', 4, (r, c) => {
    // Well-formed layout, random signature: reaches signature verification.
    const bytes = r.bytes(102);
    bytes[0] = 1;
    bytes[37] = 0;
    const trusted = r.chance(0.7);
    if (trusted) Buffer.from(r.pick(c.trusted).keyId, 'hex').copy(bytes, 1);
    return { input: b32encode(bytes), expect: trusted ? 'forged' : 'unknown_key' };
  }],
  ['bit-flip', 14, (r, c) => {
    const { text, expect } = flipBits(r, r.pick(c.codes));
    return { input: text, expect };
  }],
  ['text-edit', 14, (r, c) => ({ input: mutateText(r, r.pick(c.codes).text) })],
  ['case-space', 5, (r, c) => {
    const code = r.pick(c.codes);
    const input = ws(r, r.chance(0.8) ? 20 : 80) + randomCase(r, code.text, r.chance(0.5) ? 0.3 : 1) + ws(r, r.chance(0.8) ? 20 : 80);
    return input.length > MAX_CODE_TEXT ? { input, expect: 'too_long' } : { input, resolves: code.ticketId };
  }],
  ['unicode-fold', 2, (r, c) => ({ input: foldConfusables(r, r.pick(c.codes).text) })],
  ['trailing-bits', 2, (r, c) => {
    // 102 bytes are 816 bits: the 164th character carries 1 bit and 4 bits that must be zero.
    const code = r.pick(c.codes);
    const last = B32_ALPHABET.indexOf(code.text[163]!);
    const input = code.text.slice(0, 163) + B32_ALPHABET[(last & 0x10) | r.between(1, 15)];
    return { input, expect: 'malformed' };
  }],
  ['stranger-key', 3, (r, c) => ({ input: b32encode(codeWith(c, codeFacts(r, c), c.stranger.keyId, c.stranger)), expect: 'unknown_key' })],
  ['spoofed-key', 3, (r, c) => {
    if (r.chance(0.5)) {
      // A trusted key id over facts the stranger chose, signed by the stranger.
      return { input: b32encode(codeWith(c, codeFacts(r, c), r.pick(c.trusted).keyId, c.stranger)), expect: 'forged' };
    }
    // A genuine payload wearing another genuine code's signature.
    const a = r.pick(c.codes);
    let b = r.pick(c.codes);
    while (b === a) b = r.pick(c.codes);
    return { input: b32encode(Buffer.concat([a.bytes.subarray(0, 38), b.bytes.subarray(38)])), expect: 'forged' };
  }],
  ['genuine', 3, (r, c) => {
    const code = r.pick(c.codes);
    return { input: code.text, resolves: code.ticketId };
  }],
  ['huge', 1.5, (r, c) => {
    const size = r.pick([10_240, 102_400, r.between(MAX_CODE_TEXT + 1, 4000)]);
    const unit = r.pick([r.pick(c.codes).text, r.string(B32_ALPHABET, 64), unicodeJunk(r, 16), ' ', r.string('0123456789', 10)]);
    let input = unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
    if (r.chance(0.2)) input = ' '.repeat(size) + r.pick(c.codes).text; // a genuine code behind a wall of spaces
    return { input, expect: 'too_long' };
  }],
  ['empty', 1.5, (r) => ({ input: ws(r, 8), expect: 'empty' })],
  ['unicode', 5, (r, c) => {
    const junk = unicodeJunk(r, r.between(1, 120));
    if (r.chance(0.2)) {
      // The code in fullwidth letters: looks right on a screen, is not the code.
      const wide = [...r.pick(c.codes).text].map((ch) => String.fromCodePoint(ch.codePointAt(0)! + 0xfee0)).join('');
      return { input: wide };
    }
    return { input: r.chance(0.3) ? r.pick(c.codes).text.slice(0, r.int(164)) + junk : junk };
  }],
  ['digits', 5, (r, c) => {
    const known = c.credentials.filter((x) => /^\d+$/.test(x.value));
    const k = r.int(4);
    if (k === 0) {
      const x = r.pick(known);
      return { input: ws(r, 2) + x.value + ws(r, 2), resolves: x.ticketId };
    }
    if (k === 1) {
      const v = r.pick(known).value;
      const at = r.int(v.length);
      return { input: r.pick([v.slice(0, at) + ((Number(v[at]) + r.between(1, 9)) % 10) + v.slice(at + 1), v.slice(0, at) + v.slice(at + 1), v + r.int(10)]) };
    }
    return { input: r.string('0123456789', r.between(1, 40)) };
  }],
  ['hex', 5, (r, c) => {
    const cards = c.credentials.filter((x) => x.kind === 'card' && /[A-F]/.test(x.value));
    const k = r.int(4);
    if (k === 0) {
      const x = r.pick(cards);
      return { input: ws(r, 2) + randomCase(r, x.value, 0.5) + ws(r, 2), resolves: x.ticketId };
    }
    if (k === 1) {
      const v = r.pick(cards).value;
      const at = r.int(v.length);
      const nibble = ((parseInt(v[at]!, 16) + r.between(1, 15)) % 16).toString(16);
      return { input: v.slice(0, at) + nibble + v.slice(at + 1) };
    }
    return { input: randomCase(r, r.string('0123456789ABCDEF', r.chance(0.7) ? r.pick([8, 14, 20]) : r.between(1, 40)), 0.5) };
  }],
  ['id-number', 5, (r, c) => {
    const ids = c.credentials.filter((x) => x.kind === 'idcard');
    const k = r.int(4);
    if (k === 0) {
      const x = r.pick(ids);
      return { input: ws(r, 2) + x.value.toLowerCase() + ws(r, 2), resolves: x.ticketId };
    }
    const v = k === 1 ? r.pick(ids).value : randomIdNumber(r);
    if (k === 3) return { input: v }; // a right check digit, no such ticket
    const check = idCheckChar(v);
    let wrong = r.pick([...'0123456789X']);
    while (wrong === check) wrong = r.pick([...'0123456789X']);
    return { input: v.slice(0, 17) + wrong };
  }],
  ['credential-object', 6, (r, c) => {
    const kind = r.pick(['barcode', 'card', 'idcard', 'code'] as const);
    const known = r.pick(c.credentials);
    const k = r.int(5);
    if (k === 0) {
      const exact = known.kind === kind || (kind === 'barcode' && known.kind === 'card');
      return exact ? { input: { kind, value: known.value }, resolves: known.ticketId } : { input: { kind, value: known.value } };
    }
    if (k === 1) return { input: { kind, value: r.pick([known.value.toLowerCase(), ` ${known.value}`, known.value + '\0', known.value.slice(1)]) } };
    if (k === 2) return { input: { kind, value: r.pick(c.codes).text } };
    const value = r.pick([
      '', r.string(PRINTABLE, r.int(80)), unicodeJunk(r, r.int(40)), 'x'.repeat(r.pick([65, 10_240, 102_400])),
      "' or 1=1 --", '%', '_', r.bytes(r.int(64)).toString('latin1'),
    ]);
    return { input: { kind, value } };
  }],
  ['credential-junk', 1, (r, c) => {
    const kind = r.pick<unknown>(['barcode', 'card', 'idcard', 'code', '', 'qr', 'CARD', '__proto__', 7, undefined]);
    const value = r.pick<unknown>([r.pick(c.credentials).value, Number(r.string('123456789', 8)), null, undefined, {}, [], true, r.pick(c.credentials)]);
    return { input: { kind, value } as unknown as Credential, typed: false };
  }],
];

function codeWith(c: Corpus, facts: TicketFacts, keyId: string, signer: { privateKey: KeyObject }): Buffer {
  const payload = packPayload(facts, keyId);
  const bytes = Buffer.concat([payload, sign(null, payload, signer.privateKey)]);
  if (c.issued.has(bytes.toString('hex')) || !b32decode(b32encode(bytes))) throw new Error('fuzz corpus: a stranger code collides with an issued one');
  return bytes;
}

export const GENERATOR_NAMES = GENERATORS.map(([name]) => name);

/** Draws inputs from the weighted generators, all from one PRNG stream: input i is the same for any N >= i. */
export function fuzzInputs(rng: Prng, corpus: Corpus): () => FuzzInput {
  const total = GENERATORS.reduce((sum, [, w]) => sum + w, 0);
  return () => {
    let x = (rng.u32() / 0x1_0000_0000) * total;
    let entry = GENERATORS[GENERATORS.length - 1]!;
    for (const g of GENERATORS) {
      if (x < g[1]) {
        entry = g;
        break;
      }
      x -= g[1];
    }
    const [gen, , make] = entry;
    const made = make(rng, corpus);
    return { gen, typed: true, ...made };
  };
}
