/**
 * Wiegand frames as card readers send them, most significant bit first.
 *
 * 26 bits (the HID H10301 layout): bit 0 makes bits 0-12 even (it covers data bits 1-12),
 * bits 1-24 are the payload (8-bit facility code, then a 16-bit card number), bit 25 makes
 * bits 13-25 odd. 34 bits: the same around a 32-bit payload, even over the first 16 payload
 * bits and odd over the last 16; readers put the card's 4-byte UID there, so the hex matches
 * what a serial reader reports for the same card.
 */
export type WiegandKind = 'wiegand26' | 'wiegand34';
export type Bit = 0 | 1;

interface Layout {
  kind: WiegandKind;
  payloadBits: number;
}

const LAYOUTS: Record<number, Layout> = {
  26: { kind: 'wiegand26', payloadBits: 24 },
  34: { kind: 'wiegand34', payloadBits: 32 },
};

export const WIEGAND_LENGTHS: readonly number[] = [26, 34];

export interface WiegandCard {
  kind: WiegandKind;
  /** The payload as uppercase hex: 6 digits for 26 bits, 8 for 34. */
  uid: string;
  /** Wiegand 26 only: the facility code (high 8 payload bits) and card number (low 16). */
  facility?: number;
  number?: number;
}

export type DecodeResult =
  | { ok: true; card: WiegandCard }
  | { ok: false; error: 'bad_length'; bits: number }
  | { ok: false; error: 'bad_parity'; bits: number; which: 'even' | 'odd' | 'both' };

function ones(bits: readonly Bit[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n += bits[i]!;
  return n;
}

export function decodeWiegand(bits: readonly Bit[]): DecodeResult {
  const layout = LAYOUTS[bits.length];
  if (!layout) return { ok: false, error: 'bad_length', bits: bits.length };
  const half = layout.payloadBits / 2;
  const last = bits.length - 1;
  const evenOk = ones(bits, 0, 1 + half) % 2 === 0;
  const oddOk = ones(bits, 1 + half, bits.length) % 2 === 1;
  if (!evenOk || !oddOk) {
    return { ok: false, error: 'bad_parity', bits: bits.length, which: !evenOk && !oddOk ? 'both' : evenOk ? 'odd' : 'even' };
  }
  let payload = 0;
  for (let i = 1; i < last; i++) payload = payload * 2 + bits[i]!;
  const uid = payload.toString(16).toUpperCase().padStart(layout.payloadBits / 4, '0');
  const card: WiegandCard =
    layout.kind === 'wiegand26'
      ? { kind: layout.kind, uid, facility: Math.floor(payload / 0x10000), number: payload % 0x10000 }
      : { kind: layout.kind, uid };
  return { ok: true, card };
}

/** The frame a reader sends for `uid` (6 or 8 hex digits for 26 or 34 bits), parity included. */
export function encodeWiegand(kind: WiegandKind, uid: string): Bit[] {
  const layout = kind === 'wiegand26' ? LAYOUTS[26]! : LAYOUTS[34]!;
  const digits = layout.payloadBits / 4;
  if (!new RegExp(`^[0-9a-fA-F]{1,${digits}}$`).test(uid)) {
    throw new RangeError(`uid must be 1 to ${digits} hex digits for ${kind}`);
  }
  const payload = parseInt(uid, 16);
  const data: Bit[] = [];
  for (let i = layout.payloadBits - 1; i >= 0; i--) data.push((Math.floor(payload / 2 ** i) % 2) as Bit);
  const half = layout.payloadBits / 2;
  const even = (ones(data, 0, half) % 2) as Bit;
  const odd = (1 - (ones(data, half, data.length) % 2)) as Bit;
  return [even, ...data, odd];
}

/** Wiegand 26 from its parts, as printed on HID cards ("facility 12, card 34567"). */
export function wiegand26Uid(facility: number, number: number): string {
  if (!Number.isInteger(facility) || facility < 0 || facility > 0xff) throw new RangeError('facility must be 0-255');
  if (!Number.isInteger(number) || number < 0 || number > 0xffff) throw new RangeError('card number must be 0-65535');
  return (facility * 0x10000 + number).toString(16).toUpperCase().padStart(6, '0');
}
