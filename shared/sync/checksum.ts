import { createHash } from 'node:crypto';

/**
 * Checksum of a change batch, over the exact JSON text of its changes array: HQ computes it
 * on what it sends, a device on what it parsed before any validation reshaped it. A batch
 * damaged on the way (or by a proxy) is never applied.
 */
export function changesChecksum(changes: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(changes)).digest('hex').slice(0, 32);
}
