import { CLASSIC_1K_BLOCKS, isSectorTrailer } from './port.ts';

export const DEFAULT_KEY = Buffer.from('ffffffffffff', 'hex');
/** Transport configuration access bits (FF 07 80) and general purpose byte 69, as cards ship. */
const TRANSPORT_ACCESS = Buffer.from('ff078069', 'hex');

export interface MifareClassicOptions {
  /** 4 or 7 bytes, hex. */
  uid: string;
  /** Key A of every sector (default FF FF FF FF FF FF); `keys` overrides single sectors. */
  keyA?: Buffer;
  keys?: Record<number, Buffer>;
  /** Initial data blocks, by block number. */
  blocks?: Record<number, Buffer>;
}

/**
 * A MIFARE Classic 1K card as the simulator's antenna sees it: 64 blocks of 16 bytes, block 0
 * the manufacturer block, block 4n+3 each sector's trailer (key A | access bits | key B).
 * Only what the reader uses: key A authentication per sector, read and write.
 */
export class MifareClassicCard {
  readonly uid: Buffer;
  readonly sak = 0x08;
  readonly atqa = Buffer.from([0x00, 0x04]);
  readonly blocks: Buffer[];

  constructor(options: MifareClassicOptions) {
    this.uid = Buffer.from(options.uid, 'hex');
    if (this.uid.length !== 4 && this.uid.length !== 7) throw new Error('a MIFARE Classic UID is 4 or 7 bytes');
    this.blocks = Array.from({ length: CLASSIC_1K_BLOCKS }, () => Buffer.alloc(16));
    const b0 = this.blocks[0]!;
    this.uid.copy(b0);
    if (this.uid.length === 4) b0[4] = this.uid.reduce((x, y) => x ^ y, 0); // BCC
    b0[5] = this.sak;
    for (let s = 0; s < CLASSIC_1K_BLOCKS / 4; s++) {
      const key = options.keys?.[s] ?? options.keyA ?? DEFAULT_KEY;
      Buffer.concat([key, TRANSPORT_ACCESS, DEFAULT_KEY]).copy(this.blocks[s * 4 + 3]!);
    }
    for (const [n, data] of Object.entries(options.blocks ?? {})) Buffer.from(data).copy(this.blocks[Number(n)]!);
  }

  keyA(sector: number): Buffer {
    return this.blocks[sector * 4 + 3]!.subarray(0, 6);
  }

  /** Key A never reads back: a trailer reads with zeros in its place. */
  read(block: number): Buffer {
    const data = Buffer.from(this.blocks[block]!);
    if (isSectorTrailer(block)) data.fill(0, 0, 6);
    return data;
  }

  write(block: number, data: Buffer): void {
    data.copy(this.blocks[block]!);
  }
}
