import { createHmac } from 'node:crypto';
import { lookupHash } from '../booking/lookup.ts';
import { CODE_TEXT_LENGTH } from '../code/ticket-code.ts';

/**
 * What a presented credential is. A scanner reports text (QR or 1D barcode), a card reader a
 * UID, an ID card reader the ID number; the console and CLI only have text, so text is
 * classified by shape.
 */
/** `face`, `finger`: found by 1:N identification at the gate (never typed or scanned). */
export type CredentialKind = 'code' | 'barcode' | 'card' | 'idcard' | 'face' | 'finger';
import { CACHE_CREDENTIALS } from './model.ts';
export { CACHE_CREDENTIALS };
export type CacheCredential = (typeof CACHE_CREDENTIALS)[number];

export interface Credential {
  kind: CredentialKind;
  value: string;
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check character. */
export function isValidIdNumber(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * ID_WEIGHTS[i]!;
  return ID_CHECK[sum % 11] === id[17];
}

/** Classifies scanned text. Undefined: not a credential of any kind. */
export function classifyText(text: string): Credential | undefined {
  const t = text.trim();
  if (t.length === CODE_TEXT_LENGTH && /^[A-Za-z2-7]+$/.test(t)) return { kind: 'code', value: t };
  // Only printable ASCII is a credential; Unicode case mapping would turn 'ﬀ' into 'FF'.
  if (!/^[\x21-\x7e]+$/.test(t)) return undefined;
  const upper = t.toUpperCase();
  if (upper.length === 18 && isValidIdNumber(upper)) return { kind: 'idcard', value: upper };
  // 4-, 7- and 10-byte card UIDs as hex (what RFID/IC readers report).
  if (/^[0-9A-F]+$/.test(upper) && [8, 14, 20].includes(upper.length) && /[A-F]/.test(upper)) return { kind: 'card', value: upper };
  if (/^[0-9A-Za-z-]{4,40}$/.test(t)) return { kind: 'barcode', value: t };
  return undefined;
}

/** Normalises a credential value the way the cache stores it. */
export function normaliseCredential(kind: CacheCredential, value: string): string {
  const v = value.trim();
  return kind === 'barcode' ? v : v.toUpperCase();
}

/**
 * How HQ keeps a credential's value: barcodes and card UIDs normalised, ID numbers only as
 * their lookup hash (shared/booking/lookup.ts), so HQ never holds them in the clear and can
 * bind one from a booking that kept only the hash.
 */
export function storedCredential(kind: CacheCredential, raw: string): string {
  const value = normaliseCredential(kind, raw);
  return kind === 'idcard' ? lookupHash('id', value) : value;
}

/**
 * What travels to gates and what they keep: barcodes (printed on the ticket, nothing
 * personal) as they are; card UIDs and ID numbers as HMAC-SHA256 under the site's credential
 * key (shared/auth/device.ts credentialKey), 128 bits in hex. A gate hashes what it reads
 * the same way. The change log, the hub's copy and a gate's cache then hold no card or ID
 * number, and hashes of two sites cannot be matched. The gate holds the key, so whoever
 * holds a gate's disk can still test guessed numbers: the hash keeps numbers out of copies
 * and logs, it does not make a stolen gate harmless.
 */
export function keyedCredential(key: Buffer, kind: CacheCredential, stored: string): string {
  if (kind === 'barcode') return stored;
  return createHmac('sha256', key).update(`tk-cred-v1|${kind}|${stored}`).digest('hex').slice(0, 32);
}

/** What a gate looks up for a credential it read: the keyed hash of its stored form. */
export function credentialLookup(key: Buffer, kind: CacheCredential, raw: string): string {
  return keyedCredential(key, kind, storedCredential(kind, raw));
}
