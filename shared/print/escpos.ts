import iconv from 'iconv-lite';
import type { HriPosition, QrEcc } from './page.ts';
import { PrinterError } from './errors.ts';

/**
 * ESC/POS command encoder: the subset of Epson's "ESC/POS Application Programming Guide" that
 * receipt printers sold in China implement alike. Text goes in GB18030 with Chinese character
 * mode on (FS &), so ASCII stays single-byte and Hanzi take two (or four) bytes.
 *
 *   ESC @                 1B 40              initialise
 *   ESC a n               1B 61 n            justification 0 left, 1 centre, 2 right
 *   ESC E n               1B 45 n            emphasis (bold) off/on
 *   GS ! n                1D 21 n            character size: width-1 in bits 4-6, height-1 in bits 0-2
 *   FS & / FS .           1C 26 / 1C 2E      Chinese character mode on / off
 *   ESC 3 n / ESC 2       1B 33 n / 1B 32    line spacing n dots / default (30 dots)
 *   GS L nL nH            1D 4C nL nH        left margin in dots
 *   LF                    0A                 print the line buffer, feed one line
 *   ESC J n               1B 4A n            print, feed n dots
 *   GS ( k ... 31 41..51  1D 28 6B pL pH ... QR code: model, module size, error level, store, print
 *   GS h n, GS w n, GS H n                   barcode height, module width, HRI position
 *   GS k 73 n d1..dn      1D 6B 49 n ...     CODE128; data starts with a code set ("{B")
 *   GS v 0 m xL xH yL yH  1D 76 30 m ...     raster bit image, x in bytes, y in dots
 *   GS V 66 n             1D 56 42 n         feed n dots and cut (partial)
 *   DLE EOT n             10 04 n            real-time status, n = 1 printer, 2 offline, 3 error, 4 paper
 */
export const ESC = 0x1b;
export const GS = 0x1d;
export const FS = 0x1c;
export const DLE = 0x10;
export const EOT = 0x04;
export const LF = 0x0a;

const ECC_BYTE: Record<QrEcc, number> = { L: 48, M: 49, Q: 50, H: 51 };
const HRI_BYTE: Record<HriPosition, number> = { none: 0, above: 1, below: 2, both: 3 };
/** Bytes a QR symbol may hold (version 40, level L, 8-bit mode). */
export const QR_MAX_DATA = 2953;
/** Tallest raster image GS v 0 takes, in dots. */
export const RASTER_MAX_DOTS = 2303;

const u16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const bad = (message: string, context: Record<string, unknown>) => new PrinterError('invalid_argument', message, context);
const intIn = (v: number, lo: number, hi: number, name: string) => {
  if (!Number.isInteger(v) || v < lo || v > hi) throw bad(`${name} must be an integer in ${lo}..${hi}`, { [name]: v });
  return v;
};

/**
 * Characters that GB18030 encodes in four bytes, which the GBK fonts of receipt printers do
 * not have (they print garbage), mapped to the full-width GBK character people expect: the
 * yuan sign ¥ (U+00A5) prints as ￥ (U+FFE5, A3 A4). Layouts map before measuring, since the
 * full-width sign takes two cells.
 */
const GBK_LOOKALIKES: Record<string, string> = { '\u00a5': '\uffe5' };
export const gbkPrintable = (text: string) => text.replace(/[\u00a5]/g, (c) => GBK_LOOKALIKES[c] ?? c);

/** Builds one ESC/POS byte stream; every method appends and returns the builder. */
export class EscPosBuilder {
  readonly #chunks: Buffer[] = [];

  #push(...bytes: number[]): this {
    this.#chunks.push(Buffer.from(bytes));
    return this;
  }

  init(): this {
    return this.#push(ESC, 0x40);
  }

  align(align: 'left' | 'center' | 'right'): this {
    return this.#push(ESC, 0x61, { left: 0, center: 1, right: 2 }[align]);
  }

  bold(on: boolean): this {
    return this.#push(ESC, 0x45, on ? 1 : 0);
  }

  size(width: number, height: number): this {
    return this.#push(GS, 0x21, ((intIn(width, 1, 8, 'width') - 1) << 4) | (intIn(height, 1, 8, 'height') - 1));
  }

  chinese(on: boolean): this {
    return this.#push(FS, on ? 0x26 : 0x2e);
  }

  lineSpacing(dots: number | 'default'): this {
    return dots === 'default' ? this.#push(ESC, 0x32) : this.#push(ESC, 0x33, intIn(dots, 0, 255, 'lineSpacing'));
  }

  leftMargin(dots: number): this {
    return this.#push(GS, 0x4c, ...u16(intIn(dots, 0, 65535, 'leftMargin')));
  }

  /** Text without a line end; control characters are refused, they would be commands. */
  text(text: string): this {
    if (/[\x00-\x1f\x7f]/.test(text)) throw bad('text must not hold control characters', { text });
    this.#chunks.push(iconv.encode(gbkPrintable(text), 'gb18030'));
    return this;
  }

  newline(): this {
    return this.#push(LF);
  }

  line(text: string): this {
    return this.text(text).newline();
  }

  feed(dots: number): this {
    intIn(dots, 0, 65535, 'feed');
    for (let left = dots; left > 0; left -= 255) this.#push(ESC, 0x4a, Math.min(255, left));
    return this;
  }

  /** Stores `data` in the symbol area and prints it as a model 2 QR code. */
  qr(data: string, opts: { moduleSize: number; ecc: QrEcc }): this {
    const bytes = Buffer.from(data, 'utf8');
    if (bytes.length === 0 || bytes.length > QR_MAX_DATA) throw bad(`QR data must be 1..${QR_MAX_DATA} bytes`, { length: bytes.length });
    this.#push(GS, 0x28, 0x6b, 4, 0, 0x31, 0x41, 50, 0);
    this.#push(GS, 0x28, 0x6b, 3, 0, 0x31, 0x43, intIn(opts.moduleSize, 1, 16, 'moduleSize'));
    this.#push(GS, 0x28, 0x6b, 3, 0, 0x31, 0x45, ECC_BYTE[opts.ecc]);
    this.#push(GS, 0x28, 0x6b, ...u16(bytes.length + 3), 0x31, 0x50, 0x30);
    this.#chunks.push(bytes);
    return this.#push(GS, 0x28, 0x6b, 3, 0, 0x31, 0x51, 0x30);
  }

  /** CODE128 in code set B: printable ASCII, a literal "{" sent as "{{". */
  code128(data: string, opts: { moduleWidth: number; height: number; hri: HriPosition }): this {
    if (!/^[\x20-\x7e]+$/.test(data)) throw bad('CODE128 data must be printable ASCII', { data });
    const body = Buffer.from(`{B${data.replace(/\{/g, '{{')}`, 'ascii');
    if (body.length > 255) throw bad('CODE128 data too long', { length: data.length });
    this.#push(GS, 0x68, intIn(opts.height, 1, 255, 'height'));
    this.#push(GS, 0x77, intIn(opts.moduleWidth, 1, 6, 'moduleWidth'));
    this.#push(GS, 0x48, HRI_BYTE[opts.hri]);
    this.#push(GS, 0x6b, 73, body.length);
    this.#chunks.push(body);
    return this;
  }

  /** A raster image, 1 bit per dot, rows of ceil(width / 8) bytes. */
  raster(width: number, height: number, bits: Uint8Array): this {
    const stride = Math.ceil(intIn(width, 1, 65535, 'width') / 8);
    intIn(height, 1, RASTER_MAX_DOTS, 'height');
    if (bits.length !== stride * height) throw bad('raster size does not match its bits', { width, height, length: bits.length });
    this.#push(GS, 0x76, 0x30, 0, ...u16(stride), ...u16(height));
    this.#chunks.push(Buffer.from(bits));
    return this;
  }

  /** Feeds past the cutter and makes a partial cut: the end of a job. */
  cut(feedDots = 0): this {
    return this.#push(GS, 0x56, 66, intIn(feedDots, 0, 255, 'feedDots'));
  }

  bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

/** DLE EOT n: ask for one status byte, answered at once even while the printer is offline. */
export const statusRequest = (n: 1 | 2 | 3 | 4) => Buffer.from([DLE, EOT, n]);
