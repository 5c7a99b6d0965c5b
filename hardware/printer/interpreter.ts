import iconv from 'iconv-lite';
import { DLE, EOT, ESC, FS, GS, LF } from '../../shared/print/escpos.ts';
import { barcodeSize, FONT_H, FONT_W, qrDots, textDots, type HriPosition, type Page, type PageItem, type QrEcc } from '../../shared/print/page.ts';

/**
 * An ESC/POS interpreter: what a receipt printer does with the bytes it receives, for the
 * printer simulator. It takes the stream in chunks of any size (a command split across reads
 * waits for its rest), lays out what would be printed on a page of `paperWidth` dots, and ends
 * a job at each cut (GS V). Commands it does not know, and arguments or data it cannot use, are
 * recorded as problems and skipped, as a printer skips them: it never throws on input.
 * See escpos.ts for the command table.
 */
export interface Problem {
  /** Byte offset in the stream since the interpreter was made. */
  offset: number;
  code: 'unknown_command' | 'bad_argument' | 'bad_text' | 'bad_data' | 'unsupported';
  message: string;
  /** The bytes skipped, hex, at most 16. */
  bytes: string;
}

export interface PrintJob {
  id: number;
  page: Page;
  problems: Problem[];
  /** Bytes of the job, status requests excluded. */
  size: number;
  /** False when the printer was offline (paper out, cover open) while the job came in: nothing was printed. */
  printed: boolean;
}

export interface InterpreterOptions {
  paperWidth: number;
  onJob: (job: PrintJob) => void;
  /** DLE EOT n: the device answers with a status byte. */
  onStatusRequest: (n: number) => void;
  onProblem?: (problem: Problem) => void;
}

interface Run { x: number; end: number; text: string; scaleW: number; scaleH: number; bold: boolean }

const ECC: Record<number, QrEcc> = { 48: 'L', 49: 'M', 50: 'Q', 51: 'H' };
const HRI: Record<number, HriPosition> = { 0: 'none', 1: 'above', 2: 'below', 3: 'both', 48: 'none', 49: 'above', 50: 'below', 51: 'both' };
/** ESC commands that take a fixed number of argument bytes and only change settings we do not draw. */
const ESC_IGNORED: Record<number, number> = { 0x74: 1, 0x4d: 1, 0x2d: 1, 0x52: 1, 0x47: 1, 0x70: 3, 0x56: 1, 0x7b: 1, 0x20: 1, 0x63: 2 };
const GS_IGNORED: Record<number, number> = { 0x66: 1, 0x42: 1, 0x61: 1, 0x72: 1, 0x57: 2 };
const FS_IGNORED: Record<number, number> = { 0x21: 1, 0x2d: 1, 0x57: 1, 0x43: 1 };
/** Largest raster the simulator accepts: 255 bytes across (2040 dots), 4095 rows. */
const RASTER_MAX = { x: 255, y: 4095 };
const MAX_PENDING = 1 << 20;

const hex = (b: Uint8Array) => Buffer.from(b.subarray(0, 16)).toString('hex');

export class EscPosInterpreter {
  readonly #o: InterpreterOptions;
  #pending: Buffer = Buffer.alloc(0);
  /** Chunks held back while a long command (a raster, QR data) waits for its `#want` bytes. */
  #held: Buffer[] = [];
  #heldLength = 0;
  #want = 0;
  /** Stream offset of #pending[0]. */
  #offset = 0;
  #nextJob = 1;
  // Print settings (ESC @ restores them).
  #justify = 0;
  #bold = false;
  #scaleW = 1;
  #scaleH = 1;
  #chinese = false;
  #lineSpacing = 30;
  #leftMargin = 0;
  #qr = { moduleSize: 3, ecc: 'L' as QrEcc, data: null as string | null };
  #bar = { height: 162, moduleWidth: 3, hri: 'none' as HriPosition };
  // The page being printed.
  #items: PageItem[] = [];
  #problems: Problem[] = [];
  #y = 0;
  #size = 0;
  #printed = true;
  #line: Run[] = [];
  #lineX = 0;
  #absolute = false;

  constructor(options: InterpreterOptions) {
    this.#o = options;
  }

  /** True while bytes of a job that has not been cut yet have come in. */
  get inJob(): boolean {
    return this.#size > 0;
  }

  /** The device went offline: the job now coming in will not be printed. */
  markNotPrinted(): void {
    this.#printed = false;
  }

  /** Drops bytes of a command still waiting for its data, as a printer does on power-up; settings are reset, the job goes on. */
  reset(): void {
    this.#offset += this.#pending.length + this.#heldLength;
    this.#pending = Buffer.alloc(0);
    this.#held = [];
    this.#heldLength = 0;
    this.#want = 0;
    this.#reset();
  }

  push(chunk: Uint8Array): void {
    // Joining every small read onto a large pending command would copy it again each time.
    if (this.#want > 0 && this.#pending.length + this.#heldLength + chunk.length < this.#want) {
      this.#held.push(Buffer.from(chunk));
      this.#heldLength += chunk.length;
      return;
    }
    this.#pending = Buffer.concat([this.#pending, ...this.#held, chunk]);
    this.#held = [];
    this.#heldLength = 0;
    this.#want = 0;
    let at = 0;
    while (at < this.#pending.length) {
      const used = this.#step(this.#pending, at);
      if (used === 0) break;
      at += used;
    }
    this.#pending = this.#pending.subarray(at);
    this.#offset += at;
    if (this.#pending.length > MAX_PENDING) {
      this.#problem('bad_data', 'command data larger than the printer buffer', this.#pending);
      this.#offset += this.#pending.length;
      this.#pending = Buffer.alloc(0);
    }
  }

  #problem(code: Problem['code'], message: string, bytes: Uint8Array, at = 0): void {
    const p = { offset: this.#offset + at, code, message, bytes: hex(bytes) };
    this.#problems.push(p);
    this.#o.onProblem?.(p);
  }

  /** Handles the command at `at`; returns bytes used, 0 to wait for more. */
  #step(b: Buffer, at: number): number {
    const c = b[at]!;
    const avail = b.length - at;
    const need = (n: number) => avail >= n;
    const arg = (i: number) => b[at + i]!;
    if (c === DLE) {
      if (!need(2)) return 0;
      if (arg(1) === EOT) {
        if (!need(3)) return 0;
        if (arg(2) >= 1 && arg(2) <= 4) this.#o.onStatusRequest(arg(2));
        else this.#problem('bad_argument', `DLE EOT ${arg(2)}`, b.subarray(at, at + 3), at);
        return 3;
      }
      this.#count(2);
      this.#problem('unknown_command', `DLE ${arg(1)}`, b.subarray(at, at + 2), at);
      return 2;
    }
    if (c === ESC) return this.#esc(b, at);
    if (c === GS) return this.#gs(b, at);
    if (c === FS) {
      if (!need(2)) return 0;
      const k = arg(1);
      if (k === 0x26 || k === 0x2e) { this.#chinese = k === 0x26; return this.#count(2); }
      const n = FS_IGNORED[k];
      if (n !== undefined) return need(2 + n) ? this.#count(2 + n) : 0;
      this.#count(2);
      this.#problem('unknown_command', `FS ${k}`, b.subarray(at, at + 2), at);
      return 2;
    }
    if (c === LF) { this.#count(1); this.#printLine(); this.#y += this.#lineAdvance(); this.#endLine(); return 1; }
    if (c === 0x0d) return this.#count(1);
    if (c === 0x09) { this.#count(1); this.#addText(' '.repeat(8 - ((this.#lineX / FONT_W) % 8))); return 1; }
    if (c < 0x20 || c === 0x7f) {
      this.#count(1);
      this.#problem('unknown_command', `control byte 0x${c.toString(16)}`, b.subarray(at, at + 1), at);
      return 1;
    }
    return this.#text(b, at);
  }

  /** The command at the start of what is pending needs `len` bytes: wait for them. */
  #wait(len: number): 0 {
    this.#want = len;
    return 0;
  }

  #count(n: number): number {
    this.#size += n;
    return n;
  }

  #text(b: Buffer, at: number): number {
    let end = at;
    let chars = '';
    while (end < b.length) {
      const c = b[end]!;
      if (c < 0x20 || c === 0x7f) break;
      if (c < 0x80) { chars += String.fromCharCode(c); end++; continue; }
      if (!this.#chinese) { chars += iconv.decode(b.subarray(end, end + 1), 'cp437'); end++; continue; }
      // GB18030: lead 81-FE, then 40-7E or 80-FE (two bytes), or 30-39 81-FE 30-39 (four bytes).
      const len = c === 0x80 || c === 0xff ? -1 : b[end + 1] === undefined ? 0 : b[end + 1]! >= 0x30 && b[end + 1]! <= 0x39 ? 4 : 2;
      if (len === 0 || end + len > b.length) break;
      const seq = b.subarray(end, end + len);
      const ok = len === 2 ? (seq[1]! >= 0x40 && seq[1]! <= 0xfe && seq[1] !== 0x7f)
        : len === 4 && seq[2]! >= 0x81 && seq[2]! <= 0xfe && seq[3]! >= 0x30 && seq[3]! <= 0x39;
      if (!ok) {
        if (end === at) {
          this.#count(1);
          this.#problem('bad_text', 'invalid GB18030 sequence', b.subarray(end, end + 2), end);
          return 1;
        }
        break;
      }
      chars += iconv.decode(seq, 'gb18030');
      end += len;
    }
    if (end === at) return 0;
    this.#count(end - at);
    this.#addText(chars);
    return end - at;
  }

  #addText(chars: string): void {
    const area = this.#o.paperWidth - this.#leftMargin;
    for (const ch of chars) {
      const w = textDots(ch, this.#scaleW);
      if (this.#lineX + w > area && this.#lineX > 0) {
        this.#printLine();
        this.#y += this.#lineAdvance();
        this.#endLine();
      }
      const last = this.#line.at(-1);
      if (last && last.end === this.#lineX && last.scaleW === this.#scaleW && last.scaleH === this.#scaleH && last.bold === this.#bold) last.text += ch;
      else this.#line.push({ x: this.#lineX, end: this.#lineX, text: ch, scaleW: this.#scaleW, scaleH: this.#scaleH, bold: this.#bold });
      this.#lineX += w;
      this.#line.at(-1)!.end = this.#lineX;
    }
  }

  /** Puts the line buffer on the page at the current y, justified unless positioned with ESC $. */
  #printLine(): void {
    if (this.#line.length === 0) return;
    const area = this.#o.paperWidth - this.#leftMargin;
    const width = this.#lineX;
    const shift = this.#absolute ? 0 : this.#justify === 1 ? Math.floor((area - width) / 2) : this.#justify === 2 ? area - width : 0;
    const top = Math.max(...this.#line.map((r) => r.scaleH));
    for (const r of this.#line) {
      if (r.text.trim() === '') continue;
      // Characters of one line stand on one baseline.
      this.#items.push({ kind: 'text', x: this.#leftMargin + Math.max(0, shift) + r.x, y: this.#y + (top - r.scaleH) * FONT_H, text: r.text, scaleW: r.scaleW, scaleH: r.scaleH, bold: r.bold });
    }
  }

  #lineAdvance(): number {
    const tallest = this.#line.length ? Math.max(...this.#line.map((r) => r.scaleH)) * FONT_H : 0;
    return Math.max(this.#lineSpacing, tallest);
  }

  #endLine(): void {
    this.#line = [];
    this.#lineX = 0;
    this.#absolute = false;
  }

  /** Where a block (code, image) of `width` dots starts across, by justification. */
  #blockX(width: number): number {
    const area = this.#o.paperWidth - this.#leftMargin;
    const shift = this.#justify === 1 ? Math.floor((area - width) / 2) : this.#justify === 2 ? area - width : 0;
    return this.#leftMargin + Math.max(0, shift);
  }

  /** Codes and images print at the start of a line: a pending line is printed first. */
  #flushLine(): void {
    if (this.#line.length === 0) return;
    this.#printLine();
    this.#y += this.#lineAdvance();
    this.#endLine();
  }

  #reset(): void {
    this.#justify = 0;
    this.#bold = false;
    this.#scaleW = 1;
    this.#scaleH = 1;
    this.#chinese = false;
    this.#lineSpacing = 30;
    this.#leftMargin = 0;
    this.#qr = { moduleSize: 3, ecc: 'L', data: null };
    this.#bar = { height: 162, moduleWidth: 3, hri: 'none' };
    this.#endLine();
  }

  #esc(b: Buffer, at: number): number {
    if (b.length - at < 2) return 0;
    const k = b[at + 1]!;
    const n = b[at + 2];
    const has = (len: number) => b.length - at >= len;
    switch (k) {
      case 0x40: this.#reset(); return this.#count(2);
      case 0x32: this.#lineSpacing = 30; return this.#count(2);
      case 0x61: if (!has(3)) return 0; this.#justify = n! % 48 <= 2 ? n! % 48 : 0; return this.#count(3);
      case 0x45: if (!has(3)) return 0; this.#bold = (n! & 1) === 1; return this.#count(3);
      case 0x21:
        if (!has(3)) return 0;
        this.#bold = (n! & 0x08) !== 0;
        this.#scaleH = n! & 0x10 ? 2 : 1;
        this.#scaleW = n! & 0x20 ? 2 : 1;
        return this.#count(3);
      case 0x33: if (!has(3)) return 0; this.#lineSpacing = n!; return this.#count(3);
      case 0x4a:
        if (!has(3)) return 0;
        this.#count(3);
        this.#printLine();
        this.#endLine();
        this.#y += n!;
        return 3;
      case 0x64:
        if (!has(3)) return 0;
        this.#count(3);
        this.#printLine();
        this.#y += this.#lineAdvance() + Math.max(0, n! - 1) * this.#lineSpacing;
        this.#endLine();
        return 3;
      case 0x24: {
        if (!has(4)) return 0;
        const x = b[at + 2]! | (b[at + 3]! << 8);
        if (x < this.#o.paperWidth - this.#leftMargin) { this.#lineX = Math.max(this.#lineX, x); this.#absolute = true; }
        return this.#count(4);
      }
    }
    const ignored = ESC_IGNORED[k];
    if (ignored !== undefined) return has(2 + ignored) ? this.#count(2 + ignored) : 0;
    this.#count(2);
    this.#problem('unknown_command', `ESC 0x${k.toString(16)}`, b.subarray(at, at + 2), at);
    return 2;
  }

  #gs(b: Buffer, at: number): number {
    if (b.length - at < 2) return 0;
    const k = b[at + 1]!;
    const n = b[at + 2];
    const has = (len: number) => b.length - at >= len;
    switch (k) {
      case 0x21: {
        if (!has(3)) return 0;
        const w = ((n! >> 4) & 7) + 1, h = (n! & 7) + 1;
        this.#scaleW = w;
        this.#scaleH = h;
        if (n! & 0x88) this.#problem('bad_argument', `GS ! ${n}`, b.subarray(at, at + 3), at);
        return this.#count(3);
      }
      case 0x4c:
        if (!has(4)) return 0;
        if (this.#lineX === 0) this.#leftMargin = Math.min(b[at + 2]! | (b[at + 3]! << 8), this.#o.paperWidth - FONT_W * 2);
        return this.#count(4);
      case 0x68: if (!has(3)) return 0; this.#bar.height = Math.max(1, n!); return this.#count(3);
      case 0x77: if (!has(3)) return 0; if (n! >= 1 && n! <= 6) this.#bar.moduleWidth = n!; return this.#count(3);
      case 0x48: if (!has(3)) return 0; this.#bar.hri = HRI[n!] ?? this.#bar.hri; return this.#count(3);
      case 0x56: return this.#cut(b, at);
      case 0x6b: return this.#barcode(b, at);
      case 0x28: return this.#gsParen(b, at);
      case 0x76: return this.#raster(b, at);
    }
    const ignored = GS_IGNORED[k];
    if (ignored !== undefined) return has(2 + ignored) ? this.#count(2 + ignored) : 0;
    this.#count(2);
    this.#problem('unknown_command', `GS 0x${k.toString(16)}`, b.subarray(at, at + 2), at);
    return 2;
  }

  #cut(b: Buffer, at: number): number {
    if (b.length - at < 3) return 0;
    const m = b[at + 2]!;
    let len = 3;
    let feed = 0;
    if (m === 65 || m === 66 || m === 97 || m === 98 || m === 103 || m === 104) {
      if (b.length - at < 4) return 0;
      len = 4;
      feed = b[at + 3]!;
    } else if (![0, 1, 48, 49].includes(m)) {
      this.#count(3);
      this.#problem('bad_argument', `GS V ${m}`, b.subarray(at, at + 3), at);
      return 3;
    }
    this.#count(len);
    this.#flushLine();
    this.#y += feed;
    this.#endJob();
    return len;
  }

  #endJob(): void {
    if (this.#items.length > 0) {
      const job: PrintJob = {
        id: this.#nextJob++,
        page: { width: this.#o.paperWidth, height: this.#y, items: this.#items },
        problems: this.#problems,
        size: this.#size,
        printed: this.#printed,
      };
      this.#o.onJob(job);
    }
    this.#items = [];
    this.#problems = [];
    this.#y = 0;
    this.#size = 0;
    this.#printed = true;
  }

  /** GS k: 1D 6B m d1..dk 00 (m 0-6) or 1D 6B m n d1..dn (m 65-73). Only CODE128 (73) is drawn. */
  #barcode(b: Buffer, at: number): number {
    if (b.length - at < 3) return 0;
    const m = b[at + 2]!;
    let data: Buffer;
    let len: number;
    if (m <= 6) {
      const nul = b.indexOf(0, at + 3);
      if (nul < 0) {
        if (b.length - at > 259) { this.#count(3); this.#problem('bad_data', 'barcode data without its NUL end', b.subarray(at, at + 3), at); return 3; }
        return 0;
      }
      data = b.subarray(at + 3, nul);
      len = nul + 1 - at;
    } else if (m >= 65 && m <= 73) {
      if (b.length - at < 4) return 0;
      len = 4 + b[at + 3]!;
      if (b.length - at < len) return this.#wait(len);
      data = b.subarray(at + 4, at + len);
    } else {
      this.#count(3);
      this.#problem('bad_argument', `GS k ${m}`, b.subarray(at, at + 3), at);
      return 3;
    }
    this.#count(len);
    if (m !== 73) {
      this.#problem('unsupported', `barcode system ${m} is not drawn by the simulator`, b.subarray(at, at + len), at);
      return len;
    }
    const text = decodeCode128(data);
    if (text === null) {
      this.#problem('bad_data', 'CODE128 data must start with a code set ({A, {B or {C)', b.subarray(at, at + len), at);
      return len;
    }
    this.#flushLine();
    const { moduleWidth, height, hri } = this.#bar;
    const size = barcodeSize(text, moduleWidth, height, hri);
    this.#items.push({ kind: 'barcode', x: this.#blockX(size.width), y: this.#y, symbology: 'CODE128', data: text, moduleWidth, height, hri });
    this.#y += size.height;
    return len;
  }

  /** GS ( k pL pH cn fn ...: 2D symbols. Only QR (cn 49) is drawn. */
  #gsParen(b: Buffer, at: number): number {
    if (b.length - at < 5) return 0;
    if (b[at + 2] !== 0x6b) {
      // Other GS ( functions carry pL pH too: skip them whole.
      const len = 5 + (b[at + 3]! | (b[at + 4]! << 8));
      if (b.length - at < len) return 0;
      this.#count(len);
      this.#problem('unsupported', `GS ( ${b[at + 2]}`, b.subarray(at, at + len), at);
      return len;
    }
    const len = 5 + (b[at + 3]! | (b[at + 4]! << 8));
    if (len < 7) { this.#count(5); this.#problem('bad_argument', 'GS ( k too short', b.subarray(at, at + 5), at); return 5; }
    if (b.length - at < len) return this.#wait(len);
    this.#count(len);
    const cn = b[at + 5]!, fn = b[at + 6]!;
    const p = b.subarray(at + 7, at + len);
    const raw = b.subarray(at, at + len);
    if (cn !== 0x31) { this.#problem('unsupported', `2D symbol ${cn} is not drawn by the simulator`, raw, at); return len; }
    switch (fn) {
      case 0x41: if (p[0] !== 50) this.#problem('unsupported', `QR model ${p[0]} is printed as model 2`, raw, at); break;
      case 0x43: if (p[0]! >= 1 && p[0]! <= 16) this.#qr.moduleSize = p[0]!; else this.#problem('bad_argument', `QR module size ${p[0]}`, raw, at); break;
      case 0x45: if (ECC[p[0]!]) this.#qr.ecc = ECC[p[0]!]!; else this.#problem('bad_argument', `QR error level ${p[0]}`, raw, at); break;
      case 0x50: this.#qr.data = p.length > 1 ? decodeData(p.subarray(1)) : null; break;
      case 0x51: this.#printQr(raw, at); break;
      case 0x52: break;
      default: this.#problem('bad_argument', `QR function ${fn}`, raw, at);
    }
    return len;
  }

  #printQr(raw: Uint8Array, at: number): void {
    const { data, moduleSize, ecc } = this.#qr;
    if (data === null) { this.#problem('bad_data', 'QR print without stored data', raw, at); return; }
    let size: number;
    try {
      size = qrDots(data, moduleSize, ecc);
    } catch (err) {
      this.#problem('bad_data', `QR data does not fit a symbol: ${(err as Error).message}`, raw, at);
      return;
    }
    this.#flushLine();
    this.#items.push({ kind: 'qr', x: this.#blockX(size), y: this.#y, data, moduleSize, ecc });
    this.#y += size;
  }

  /** GS v 0 m xL xH yL yH d1..dk: k = x * y bytes. */
  #raster(b: Buffer, at: number): number {
    if (b.length - at < 8) return 0;
    const m = b[at + 3]!;
    const x = b[at + 4]! | (b[at + 5]! << 8);
    const y = b[at + 6]! | (b[at + 7]! << 8);
    if (b[at + 2] !== 0x30 || m > 3 && (m < 48 || m > 51) || x < 1 || y < 1 || x > RASTER_MAX.x || y > RASTER_MAX.y) {
      this.#count(8);
      this.#problem('bad_argument', `GS v ${b[at + 2]} ${m} x=${x} y=${y}`, b.subarray(at, at + 8), at);
      return 8;
    }
    const len = 8 + x * y;
    if (b.length - at < len) return this.#wait(len);
    this.#count(len);
    const src = b.subarray(at + 8, at + len);
    const dw = m % 48 === 1 || m % 48 === 3 ? 2 : 1, dh = m % 48 >= 2 ? 2 : 1;
    const width = x * 8 * dw, height = y * dh;
    const bits = dw === 1 && dh === 1 ? new Uint8Array(src) : scaleBits(src, x, y, dw, dh);
    this.#flushLine();
    this.#items.push({ kind: 'raster', x: this.#blockX(width), y: this.#y, width, height, bits });
    this.#y += height;
    return len;
  }
}

/** Bytes stored for a QR code, as text: UTF-8 when they are, Latin-1 otherwise. */
function decodeData(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}

/** The text of GS k 73 data: "{A" "{B" "{C" select a code set, "{{" is a brace, set C packs two digits a byte. */
export function decodeCode128(data: Uint8Array): string | null {
  if (data.length < 2 || data[0] !== 0x7b || ![0x41, 0x42, 0x43].includes(data[1]!)) return null;
  let set = data[1]!;
  let out = '';
  for (let i = 2; i < data.length; i++) {
    const c = data[i]!;
    if (c === 0x7b && i + 1 < data.length) {
      const d = data[++i]!;
      if (d === 0x41 || d === 0x42 || d === 0x43) set = d;
      else if (d === 0x7b) out += '{';
      continue;
    }
    if (set === 0x43) out += c <= 99 ? String(c).padStart(2, '0') : '';
    else out += String.fromCharCode(c);
  }
  return out.length > 0 ? out : null;
}

function scaleBits(src: Uint8Array, x: number, y: number, dw: number, dh: number): Uint8Array {
  const w = x * 8 * dw, stride = Math.ceil(w / 8);
  const out = new Uint8Array(stride * y * dh);
  for (let r = 0; r < y; r++) {
    for (let c = 0; c < x * 8; c++) {
      if (!((src[r * x + (c >> 3)]! >> (7 - (c & 7))) & 1)) continue;
      for (let i = 0; i < dw; i++) {
        for (let j = 0; j < dh; j++) {
          const cc = c * dw + i, rr = r * dh + j;
          out[rr * stride + (cc >> 3)]! |= 0x80 >> (cc & 7);
        }
      }
    }
  }
  return out;
}
