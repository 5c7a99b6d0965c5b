import { createHash } from 'node:crypto';

export interface DigestRow {
  id: string;
  typeId: number;
  validFrom: number;
  validUntil: number;
  persons: number;
  entries: number;
  /** Revocation reason, '' when not revoked. */
  revoked: string;
}

/**
 * Order-independent digest of a set of tickets: the sum, mod 2^64, of a hash per row. A
 * gate and HQ compute it over what each holds; equal digests mean equal caches.
 */
export function ticketDigest(rows: DigestRow[]): { tickets: number; digest: string } {
  let sum = 0n;
  for (const r of rows) {
    const h = createHash('sha256').update(`${r.id}|${r.typeId}|${r.validFrom}|${r.validUntil}|${r.persons}|${r.entries}|${r.revoked}`).digest();
    sum = (sum + h.readBigUInt64BE(0)) & 0xffffffffffffffffn;
  }
  return { tickets: rows.length, digest: sum.toString(16).padStart(16, '0') };
}
