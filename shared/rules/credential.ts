import { CODE_TEXT_LENGTH } from '../code/ticket-code.ts';

/**
 * What a presented credential is. A scanner reports text (QR or 1D barcode), a card reader a
 * UID, an ID card reader the ID number; the console and CLI only have text, so text is
 * classified by shape.
 */
/** `face`: found by 1:N face identification at the gate (never typed or scanned). */
export type CredentialKind = 'code' | 'barcode' | 'card' | 'idcard' | 'face';
export const CACHE_CREDENTIALS = ['barcode', 'card', 'idcard'] as const;
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
