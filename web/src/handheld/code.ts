import { base32nopad } from '@scure/base';
import type { SignedFacts } from '../../../shared/rules/model.ts';

/**
 * The signed ticket code read in the browser: the layout of shared/code/ticket-code.ts
 * (version 1, 38-byte payload, 64-byte Ed25519 signature, base32 without padding), verified
 * with WebCrypto's Ed25519 against the issuer keys from the change log. Never throws.
 */
const PAYLOAD = 38;
const BYTES = PAYLOAD + 64;
const TEXT = Math.ceil((BYTES * 8) / 5);

export type CodeRead = { ok: true; facts: SignedFacts } | { ok: false; reason: 'empty' | 'too_long' | 'malformed' | 'unknown_key' | 'forged' };

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromHex = (h: string) => new Uint8Array(h.match(/../g)!.map((x) => parseInt(x, 16))) as Uint8Array<ArrayBuffer>;

export function looksLikeCode(text: string): boolean {
  const t = text.trim();
  return t.length === TEXT && /^[A-Za-z2-7]+$/.test(t);
}

const imported = new Map<string, Promise<CryptoKey>>();

function importKey(publicKeyHex: string): Promise<CryptoKey> {
  let k = imported.get(publicKeyHex);
  if (!k) {
    k = crypto.subtle.importKey('raw', fromHex(publicKeyHex), { name: 'Ed25519' }, false, ['verify']);
    imported.set(publicKeyHex, k);
  }
  return k;
}

export async function readCode(text: string, keys: (keyId: string) => string | undefined): Promise<CodeRead> {
  if (text.length > 256) return { ok: false, reason: 'too_long' };
  const t = text.trim();
  if (!t) return { ok: false, reason: 'empty' };
  if (!looksLikeCode(t)) return { ok: false, reason: 'malformed' };
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(base32nopad.decode(t.toUpperCase()));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (bytes.length !== BYTES || bytes[0] !== 1 || bytes[37] !== 0) return { ok: false, reason: 'malformed' };
  const payload = bytes.subarray(0, PAYLOAD);
  const keyId = hex(payload.subarray(1, 5));
  const pub = keys(keyId);
  if (!pub) return { ok: false, reason: 'unknown_key' };
  const good = await crypto.subtle.verify({ name: 'Ed25519' }, await importKey(pub), bytes.slice(PAYLOAD), bytes.slice(0, PAYLOAD)).catch(() => false);
  if (!good) return { ok: false, reason: 'forged' };
  const v = new DataView(payload.buffer, payload.byteOffset, PAYLOAD);
  const id = hex(payload.subarray(5, 21));
  return {
    ok: true,
    facts: {
      keyId, ticketId: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`,
      typeId: v.getUint32(21), validFrom: v.getUint32(25), validUntil: v.getUint32(29), persons: v.getUint16(33), entries: v.getUint16(35),
    },
  };
}
