import type { DevicePort, TypedEmitter } from '../port.ts';

/** What the reader could tell from the card's answer to selection (SAK). */
export type CardKind =
  | 'mifare-classic-1k'
  | 'mifare-classic-4k'
  | 'mifare-mini'
  | 'mifare-ultralight'
  | 'iso14443-4'
  | 'iso14443a';

export interface CardEvents {
  /** A card was put on the reader: once per presentation, not once per poll. `uid` is uppercase hex. */
  card: { uid: string; kind: CardKind };
  error: Error;
}

/**
 * An RFID / IC card reader. Reading UIDs is all a gate needs; the ticket window also issues
 * cards by writing a MIFARE Classic data block (16 bytes, authenticated with a 6-byte key A).
 */
export interface CardReader extends DevicePort, TypedEmitter<CardEvents> {
  /** Reads 16 bytes. Rejects with DeviceError no_card, auth_failed, timeout, device_status. */
  readBlock(block: number, key: Buffer): Promise<Buffer>;
  /** Writes 16 bytes to a data block; block 0 and sector trailers are refused (invalid_argument). */
  writeBlock(block: number, data: Buffer, key: Buffer): Promise<void>;
}

/** MIFARE Classic 1K: 16 sectors of 4 blocks; the last block of each sector holds its keys. */
export const CLASSIC_1K_BLOCKS = 64;

export function isSectorTrailer(block: number): boolean {
  return block % 4 === 3;
}

export function cardKind(sak: number): CardKind {
  switch (sak) {
    case 0x08: return 'mifare-classic-1k';
    case 0x18: return 'mifare-classic-4k';
    case 0x09: return 'mifare-mini';
    case 0x00: return 'mifare-ultralight';
    default: return sak & 0x20 ? 'iso14443-4' : 'iso14443a';
  }
}
