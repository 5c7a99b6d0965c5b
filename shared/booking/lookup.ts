import { createHash } from 'node:crypto';

/**
 * How a booking is found at a window or kiosk without HQ keeping the visitor's phone or ID
 * number in the clear, nor sending them to devices: both sides hash what the visitor types
 * the same way. (An 11-digit phone number can be found from its hash by trying them all;
 * the hash keeps numbers out of logs and device caches, it is not a secret.)
 */
export function lookupHash(kind: 'phone' | 'id', value: string): string {
  return createHash('sha256').update(`tk-booking-${kind}:${normaliseLookup(kind, value)}`).digest('hex');
}

export function normaliseLookup(kind: 'phone' | 'id', value: string): string {
  const v = value.replace(/[\s-]/g, '');
  if (kind === 'id') return v.toUpperCase();
  // +86 / 0086 prefixes are the same mobile number.
  return v.replace(/^(\+86|0086)/, '');
}

/** A mainland mobile number: 11 digits starting with 1. */
export const PHONE = /^1[3-9]\d{9}$/;
