import { createHash } from 'node:crypto';

/**
 * An entry's nonce, derived from the device's name, its database's epoch and the entry's
 * outbox sequence number: unique (an epoch is random per database life, sequence numbers
 * never repeat in it, and the device name separates gates cloned from one image, which share
 * an epoch), known to the device the moment it writes the entry, and recomputable by anyone
 * who sees the batch — so the 16 random bytes need not travel over the up-link.
 */
export function entryNonce(device: string, epoch: string, seq: number): string {
  const h = createHash('sha256').update(`${device}/${epoch}/${seq}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
