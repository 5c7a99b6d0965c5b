import { sign, verify } from 'node:crypto';
import { base32nopad } from '@scure/base';
import type { IssuerKey, Keyring } from './keys.ts';

/**
 * The signed ticket code, verifiable offline by any gate that holds the issuer's public key.
 *
 * Layout of version 1 (big-endian), 38 bytes of payload then a 64-byte Ed25519 signature
 * over those 38 bytes:
 *
 *   off len field
 *     0   1 version (1)
 *     1   4 key id (first 4 bytes of SHA-256 of the issuer's raw public key)
 *     5  16 ticket id (UUID bytes)
 *    21   4 ticket type id
 *    25   4 valid from, UTC seconds since 1970 (inclusive)
 *    29   4 valid until, UTC seconds since 1970 (exclusive)
 *    33   2 persons admitted per entry
 *    35   2 entries allowed (0 = unlimited within validity)
 *    37   1 flags (reserved, 0)
 *
 * Text form: RFC 4648 base32 without padding (A-Z, 2-7), all inside the QR alphanumeric
 * set, so a QR code holds it in alphanumeric mode; 102 bytes -> 164 characters.
 */
export const CODE_VERSION = 1;
const PAYLOAD_BYTES = 38;
const SIGNATURE_BYTES = 64;
export const CODE_BYTES = PAYLOAD_BYTES + SIGNATURE_BYTES;
export const CODE_TEXT_LENGTH = Math.ceil((CODE_BYTES * 8) / 5);
/** Anything longer than this is refused before any decoding work is done. */
export const MAX_CODE_TEXT = 256;

// The facts a code carries are the rule engine's input: defined beside it (no node imports there).
export type { SignedFacts, TicketFacts } from '../rules/model.ts';
import type { SignedFacts, TicketFacts } from '../rules/model.ts';

export type CodeRefusal = 'empty' | 'too_long' | 'malformed' | 'unknown_key' | 'forged';

export type CodeResult = { ok: true; facts: SignedFacts } | { ok: false; reason: CodeRefusal };

const UUID = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i;

function uuidToBytes(id: string): Buffer {
  const m = UUID.exec(id);
  if (!m) throw new Error(`ticket id is not a UUID: ${id}`);
  return Buffer.from(m.slice(1).join(''), 'hex');
}

function bytesToUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function checkRange(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new Error(`${name} out of range: ${value}`);
}

export function packPayload(facts: TicketFacts, keyId: string): Buffer {
  checkRange('typeId', facts.typeId, 0xffffffff);
  checkRange('validFrom', facts.validFrom, 0xffffffff);
  checkRange('validUntil', facts.validUntil, 0xffffffff);
  checkRange('persons', facts.persons, 0xffff);
  checkRange('entries', facts.entries, 0xffff);
  if (!/^[0-9a-f]{8}$/.test(keyId)) throw new Error(`key id must be 8 hex digits: ${keyId}`);
  const b = Buffer.alloc(PAYLOAD_BYTES);
  b.writeUInt8(CODE_VERSION, 0);
  Buffer.from(keyId, 'hex').copy(b, 1);
  uuidToBytes(facts.ticketId).copy(b, 5);
  b.writeUInt32BE(facts.typeId, 21);
  b.writeUInt32BE(facts.validFrom, 25);
  b.writeUInt32BE(facts.validUntil, 29);
  b.writeUInt16BE(facts.persons, 33);
  b.writeUInt16BE(facts.entries, 35);
  b.writeUInt8(0, 37);
  return b;
}

function unpackPayload(b: Buffer): SignedFacts {
  return {
    keyId: b.subarray(1, 5).toString('hex'),
    ticketId: bytesToUuid(b.subarray(5, 21)),
    typeId: b.readUInt32BE(21),
    validFrom: b.readUInt32BE(25),
    validUntil: b.readUInt32BE(29),
    persons: b.readUInt16BE(33),
    entries: b.readUInt16BE(35),
  };
}

export function encodeTicketCode(facts: TicketFacts, key: IssuerKey): string {
  const payload = packPayload(facts, key.keyId);
  const signature = sign(null, payload, key.privateKey);
  return base32nopad.encode(Buffer.concat([payload, signature]));
}

/** Decodes the text form into bytes, or says why it is not a code. Never throws. */
export function parseCodeText(text: string): { ok: true; bytes: Buffer } | { ok: false; reason: CodeRefusal } {
  if (text.length > MAX_CODE_TEXT) return { ok: false, reason: 'too_long' };
  const trimmed = text.trim();
  if (trimmed.length === 0) return { ok: false, reason: 'empty' };
  // ASCII only, checked before upper-casing: Unicode case mapping would turn 'ſ' into 'S'.
  if (trimmed.length !== CODE_TEXT_LENGTH || !/^[A-Za-z2-7]+$/.test(trimmed)) return { ok: false, reason: 'malformed' };
  const clean = trimmed.toUpperCase();
  let bytes: Buffer;
  try {
    // base32nopad rejects non-zero trailing bits, so each code has exactly one text form.
    bytes = Buffer.from(base32nopad.decode(clean));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (bytes.length !== CODE_BYTES || bytes[0] !== CODE_VERSION || bytes[37] !== 0) return { ok: false, reason: 'malformed' };
  return { ok: true, bytes };
}

/** Parses and verifies a scanned code against the keys this device trusts. Never throws. */
export function readTicketCode(text: string, keys: Keyring): CodeResult {
  const parsed = parseCodeText(text);
  if (!parsed.ok) return parsed;
  const payload = parsed.bytes.subarray(0, PAYLOAD_BYTES);
  const key = keys.get(payload.subarray(1, 5).toString('hex'));
  if (!key) return { ok: false, reason: 'unknown_key' };
  if (!verify(null, payload, key, parsed.bytes.subarray(PAYLOAD_BYTES))) return { ok: false, reason: 'forged' };
  return { ok: true, facts: unpackPayload(payload) };
}
