import iconv from 'iconv-lite';
import { charWidth } from '../../shared/text/fit.ts';
import { CAN, CLR, ESC, FS, HOM, US } from './lcd-protocol.ts';

export interface LcdProblem {
  /** Byte offset in the stream since the device was made. */
  offset: number;
  code: 'unknown_command' | 'bad_argument' | 'bad_text';
  message: string;
  bytes: string;
}

export interface LcdDeviceOptions {
  rows?: number;
  columns?: number;
  onProblem?: (p: LcdProblem) => void;
}

/**
 * The serial LCD itself, simulated: it interprets the customer-display command set of
 * lcd-protocol.ts into a grid of character cells. Bytes come in chunks of any size; a command
 * or a double-byte character split across reads waits for its rest. What it cannot use
 * (unknown commands, a cursor off the screen, broken GB18030) is recorded and skipped.
 */
export class LcdDevice {
  readonly rows: number;
  readonly columns: number;
  readonly problems: LcdProblem[] = [];
  /** Brightness 1..4 and cursor visibility, as last set. */
  brightness = 4;
  cursorVisible = true;
  readonly #onProblem: ((p: LcdProblem) => void) | undefined;
  /** One string per cell; a wide character fills its cell and leaves '' in the next. */
  #cells: string[][];
  #row = 0;
  #col = 0;
  #chinese = false;
  #pending: Buffer = Buffer.alloc(0);
  #offset = 0;

  constructor(options: LcdDeviceOptions = {}) {
    this.rows = options.rows ?? 4;
    this.columns = options.columns ?? 20;
    this.#onProblem = options.onProblem;
    this.#cells = this.#blank();
  }

  /** The screen, one string per row, trailing blanks trimmed. */
  get lines(): string[] {
    const rows = this.#cells.map((r) => r.join('').trimEnd());
    while (rows.length && rows.at(-1) === '') rows.pop();
    return rows;
  }

  get cursor(): { row: number; column: number } {
    return { row: this.#row + 1, column: this.#col + 1 };
  }

  receive(chunk: Uint8Array): void {
    const b = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : Buffer.from(chunk);
    let at = 0;
    while (at < b.length) {
      const used = this.#step(b, at);
      if (used === 0) break;
      at += used;
    }
    this.#pending = b.subarray(at);
    this.#offset += at;
  }

  #blank(): string[][] {
    return Array.from({ length: this.rows }, () => Array<string>(this.columns).fill(' '));
  }

  #problem(code: LcdProblem['code'], message: string, bytes: Uint8Array, at: number): void {
    const p = { offset: this.#offset + at, code, message, bytes: Buffer.from(bytes.subarray(0, 16)).toString('hex') };
    this.problems.push(p);
    if (this.problems.length > 1000) this.problems.shift();
    this.#onProblem?.(p);
  }

  #step(b: Buffer, at: number): number {
    const c = b[at]!;
    const avail = b.length - at;
    switch (c) {
      case CLR: this.#cells = this.#blank(); this.#row = 0; this.#col = 0; return 1;
      case CAN: this.#cells[this.#row] = Array<string>(this.columns).fill(' '); this.#col = 0; return 1;
      case HOM: this.#row = 0; this.#col = 0; return 1;
      case 0x0d: this.#col = 0; return 1;
      case 0x0a: this.#row = (this.#row + 1) % this.rows; return 1;
      case 0x08: if (this.#col > 0) this.#col--; return 1;
      case 0x09: this.#advance(1); return 1;
      case ESC: {
        if (avail < 2) return 0;
        if (b[at + 1] === 0x40) {
          this.#cells = this.#blank();
          this.#row = 0; this.#col = 0; this.#chinese = false; this.brightness = 4; this.cursorVisible = true;
          return 2;
        }
        this.#problem('unknown_command', `ESC 0x${b[at + 1]!.toString(16)}`, b.subarray(at, at + 2), at);
        return 2;
      }
      case FS: {
        if (avail < 2) return 0;
        const k = b[at + 1];
        if (k === 0x26 || k === 0x2e) { this.#chinese = k === 0x26; return 2; }
        this.#problem('unknown_command', `FS 0x${k!.toString(16)}`, b.subarray(at, at + 2), at);
        return 2;
      }
      case US: return this.#us(b, at);
    }
    if (c < 0x20 || c === 0x7f) {
      this.#problem('unknown_command', `control byte 0x${c.toString(16)}`, b.subarray(at, at + 1), at);
      return 1;
    }
    if (c < 0x80) { this.#put(String.fromCharCode(c)); return 1; }
    if (!this.#chinese) { this.#put(iconv.decode(b.subarray(at, at + 1), 'cp437')); return 1; }
    // GB18030: 81-FE then 40-FE (not 7F), or 81-FE 30-39 81-FE 30-39.
    if (avail < 2) return 0;
    const second = b[at + 1]!;
    const len = second >= 0x30 && second <= 0x39 ? 4 : 2;
    if (avail < len) return 0;
    const seq = b.subarray(at, at + len);
    const ok = c >= 0x81 && c <= 0xfe && (len === 2 ? second >= 0x40 && second <= 0xfe && second !== 0x7f : seq[2]! >= 0x81 && seq[2]! <= 0xfe && seq[3]! >= 0x30 && seq[3]! <= 0x39);
    if (!ok) {
      this.#problem('bad_text', 'invalid GB18030 sequence', seq, at);
      return 1;
    }
    this.#put(iconv.decode(seq, 'gb18030'));
    return len;
  }

  #us(b: Buffer, at: number): number {
    const avail = b.length - at;
    if (avail < 2) return 0;
    const k = b[at + 1]!;
    if (k === 0x01 || k === 0x02 || k === 0x03) return 2; // display modes: overwrite is what the driver uses
    if (k === 0x0d) { this.#col = 0; return 2; }
    if (k === 0x43 || k === 0x58) {
      if (avail < 3) return 0;
      const n = b[at + 2]!;
      if (k === 0x43) this.cursorVisible = n === 1;
      else if (n >= 1 && n <= 4) this.brightness = n;
      else this.#problem('bad_argument', `US X ${n}`, b.subarray(at, at + 3), at);
      return 3;
    }
    if (k === 0x24) {
      if (avail < 4) return 0;
      const x = b[at + 2]!, y = b[at + 3]!;
      if (x < 1 || x > this.columns || y < 1 || y > this.rows) this.#problem('bad_argument', `US $ ${x} ${y} is off the screen`, b.subarray(at, at + 4), at);
      else { this.#col = x - 1; this.#row = y - 1; }
      return 4;
    }
    this.#problem('unknown_command', `US 0x${k.toString(16)}`, b.subarray(at, at + 2), at);
    return 2;
  }

  /** Writes one character at the cursor; a wide one that does not fit starts the next row. */
  #put(ch: string): void {
    const w = charWidth(ch);
    if (w === 0) return;
    if (this.#col + w > this.columns) this.#advance(this.columns - this.#col);
    const row = this.#cells[this.#row]!;
    const c = this.#col;
    // Overwriting half of a wide character blanks its other half.
    if (row[c] === '' && c > 0) row[c - 1] = ' ';
    const right = c + w;
    if (right < this.columns && row[right] === '') row[right] = ' ';
    row[c] = ch;
    if (w === 2) row[c + 1] = '';
    this.#advance(w);
  }

  /** Moves the cursor on; past a row's end it goes to the next row's start, past the last row to the first. */
  #advance(n: number): void {
    this.#col += n;
    if (this.#col >= this.columns) {
      this.#col = 0;
      this.#row = (this.#row + 1) % this.rows;
    }
  }
}
