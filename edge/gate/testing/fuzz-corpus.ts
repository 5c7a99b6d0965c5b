import type { IssuerKey } from '../../../shared/code/keys.ts';
import { issuerKeyFromSeed, rawPublicKey } from '../../../shared/code/keys.ts';
import { encodeTicketCode, type TicketFacts } from '../../../shared/code/ticket-code.ts';
import type { CacheCredential } from '../../../shared/rules/credential.ts';
import { changeBatch, type ChangeBatch } from '../../../shared/sync/messages.ts';
import type { Prng } from './prng.ts';

/**
 * What the fuzzed gate knows and what the fuzzer may present: tickets signed by two trusted
 * issuer keys (cached or not), codes from a stranger key, and cached barcode, card and ID
 * card credentials. Everything is drawn from the seeded PRNG, so a seed rebuilds it exactly.
 *
 * The codec and check-digit code here are written apart from the gate's on purpose: the
 * oracle must not share a bug with the code it judges.
 */

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const B32_ALPHABET = B32;

/** RFC 4648 base32, no padding. */
export function b32encode(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Upper-case A-Z2-7 only. Strict: unused trailing bits must be zero and the length must be a
 * whole number of bytes, so each byte string has one text form. Loose: trailing bits ignored.
 */
export function b32decode(text: string, strict = true): Buffer | undefined {
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of text) {
    const v = B32.indexOf(ch);
    if (v < 0) return undefined;
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  if (strict && (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0)) return undefined;
  return Buffer.from(bytes);
}

/** GB 11643 check character: weights 2^(17-i) mod 11, check (12 - sum mod 11) mod 11, 10 = X. */
export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  const c = (12 - (sum % 11)) % 11;
  return c === 10 ? 'X' : String(c);
}

export function randomIdNumber(rng: Prng): string {
  const first = rng.string('0123456789', 17);
  return first + idCheckChar(first);
}

export function randomUuid(rng: Prng): string {
  const h = rng.bytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export type CodeGroup = 'cached' | 'unlimited' | 'daily' | 'revoked' | 'expired' | 'future' | 'uncached' | 'uncached-revoked';

export interface IssuedCode {
  ticketId: string;
  group: CodeGroup;
  text: string;
  bytes: Buffer;
}

export interface CachedCredential {
  kind: CacheCredential;
  value: string;
  ticketId: string;
}

export interface Corpus {
  trusted: IssuerKey[];
  stranger: IssuerKey;
  /** Codes signed by a trusted key: every one may legitimately resolve at the gate. */
  codes: IssuedCode[];
  /** Issued bytes (hex) -> ticket id, for every code a trusted key signed. */
  issued: Map<string, string>;
  credentials: CachedCredential[];
  /** A cached ticket held back from every generator: admitted at the end to prove the gate still works. */
  fresh: IssuedCode;
  batch: ChangeBatch;
  /** Validity window of the ordinary tickets, UTC seconds. */
  window: { from: number; until: number };
}

export function buildCorpus(rng: Prng, nowMs: number): Corpus {
  const trusted = [issuerKeyFromSeed(rng.bytes(32)), issuerKeyFromSeed(rng.bytes(32))];
  const stranger = issuerKeyFromSeed(rng.bytes(32));
  const nowS = Math.floor(nowMs / 1000);
  const window = { from: nowS - 86_400, until: nowS + 30 * 86_400 };
  const changes: unknown[] = [];
  let seq = 0;
  const add = (c: Record<string, unknown>) => changes.push({ seq: ++seq, ...c });

  for (const key of trusted) add({ kind: 'key', keyId: key.keyId, publicKey: rawPublicKey(key.publicKey).toString('hex') });
  add({ kind: 'type', typeId: 1, rules: {} });
  add({ kind: 'type', typeId: 2, rules: { perDay: 1 } });
  add({ kind: 'lane', rules: { lane: 'lane-1' } });

  const codes: IssuedCode[] = [];
  const issued = new Map<string, string>();
  const ticket = (group: CodeGroup, over: Partial<TicketFacts> = {}): TicketFacts => {
    const facts: TicketFacts = {
      ticketId: randomUuid(rng), typeId: 1, validFrom: window.from, validUntil: window.until,
      persons: rng.between(1, 3), entries: 1, ...over,
    };
    const { ticketId: id, ...row } = facts;
    if (!group.startsWith('uncached')) add({ kind: 'ticket', ticket: { id, ...row } });
    if (group === 'revoked' || group === 'uncached-revoked') add({ kind: 'revoke', ticketId: facts.ticketId, reason: rng.pick(['refunded', 'lost', 'x'.repeat(32)]) });
    return facts;
  };
  const issue = (group: CodeGroup, over: Partial<TicketFacts> = {}): IssuedCode => {
    const facts = ticket(group, over);
    const text = encodeTicketCode(facts, rng.pick(trusted));
    const bytes = b32decode(text)!;
    issued.set(bytes.toString('hex'), facts.ticketId);
    return { ticketId: facts.ticketId, group, text, bytes };
  };

  for (let i = 0; i < 30; i++) codes.push(issue('cached'));
  for (let i = 0; i < 2; i++) codes.push(issue('unlimited', { entries: 0, persons: 1 }));
  for (let i = 0; i < 2; i++) codes.push(issue('daily', { typeId: 2, entries: 0, persons: 1 }));
  for (let i = 0; i < 2; i++) codes.push(issue('revoked'));
  codes.push(issue('uncached-revoked'));
  for (let i = 0; i < 2; i++) codes.push(issue('expired', { validFrom: window.from - 90 * 86_400, validUntil: window.from }));
  for (let i = 0; i < 2; i++) codes.push(issue('future', { validFrom: window.until, validUntil: window.until + 86_400 }));
  // Self-contained signed codes: valid without any cache row, and the type may be unknown too.
  for (let i = 0; i < 10; i++) codes.push(issue('uncached', { typeId: rng.pick([1, 99]) }));
  const fresh = issue('cached', { persons: 1 });

  const credentials: CachedCredential[] = [];
  const credential = (kind: CacheCredential, value: string, revoked = false) => {
    const facts = ticket(revoked ? 'revoked' : 'cached', { persons: 1 });
    credentials.push({ kind, value, ticketId: facts.ticketId });
    add({ kind: 'credential', credential: kind, value, ticketId: facts.ticketId });
  };
  for (let i = 0; i < 8; i++) credential('barcode', '69' + rng.string('0123456789', 11));
  credential('barcode', 'TK-' + rng.string('abcdefghjkmnpqrstuvwxyz23456789', 8)); // case matters for barcodes
  credential('barcode', '69' + rng.string('0123456789', 11), true);
  for (const len of [8, 8, 14, 14, 20, 20, 8, 14]) {
    credential('card', rng.string('ABCDEF', 1) + rng.string('0123456789ABCDEF', len - 1));
  }
  for (let i = 0; i < 2; i++) credential('card', rng.string('0123456789', 8)); // digits only: typed, it reads as a barcode
  for (let i = 0; i < 10; i++) credential('idcard', randomIdNumber(rng));

  const batch = changeBatch.parse({ since: 0, next: seq, more: false, serverTime: nowMs, changes });
  return { trusted, stranger, codes, issued, credentials, fresh, batch, window };
}
