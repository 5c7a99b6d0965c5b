import { DeviceError } from '../errors.ts';

/**
 * How a serial scanner ends each code. 'none': the scanner sends the bare code and the end of
 * a burst (an idle gap on the line) ends it.
 */
export type Suffix = 'cr' | 'lf' | 'crlf' | 'tab' | 'none';
export const SUFFIXES = ['cr', 'lf', 'crlf', 'tab', 'none'] as const;

export const SUFFIX_BYTES: Record<Suffix, Buffer> = {
  cr: Buffer.from([0x0d]),
  lf: Buffer.from([0x0a]),
  crlf: Buffer.from([0x0d, 0x0a]),
  tab: Buffer.from([0x09]),
  none: Buffer.alloc(0),
};

/** The byte that ends a line; with CRLF the LF does and the CR is dropped like other control bytes. */
const TERMINATOR: Record<Suffix, number | undefined> = { cr: 0x0d, lf: 0x0a, crlf: 0x0a, tab: 0x09, none: undefined };

export type LineOutput = { line: string } | { error: DeviceError };

export interface LineFramerOptions {
  suffix: Suffix;
  /** Bytes; a longer line is garbage (a stuck scanner, a wrong baud rate) and is dropped whole. */
  maxLength: number;
}

/**
 * Splits a scanner's byte stream into codes. Pure: bytes in, lines and errors out, so it is
 * tested on recorded streams; the driver feeds it serial chunks and calls idle() on a timer.
 *
 * Codes are printable ASCII or UTF-8 text. Control bytes other than the terminator (line noise,
 * a NUL from a cable plugged in, the ACK/NAK a scanner sends after a command) are stripped and
 * reported once per line. A line longer than `maxLength` is discarded up to the next terminator.
 */
export class LineFramer {
  readonly #terminator: number | undefined;
  /** CR of a CRLF pair: expected, dropped without a report. */
  readonly #expected: number | undefined;
  readonly #max: number;
  #buf: number[] = [];
  #noise = 0;
  #overflow = false;

  constructor(options: LineFramerOptions) {
    this.#terminator = TERMINATOR[options.suffix];
    this.#expected = options.suffix === 'crlf' ? 0x0d : undefined;
    this.#max = options.maxLength;
  }

  /** True while part of a line is held (the driver then arms its idle timer). */
  get pending(): boolean {
    return this.#buf.length > 0 || this.#noise > 0 || this.#overflow;
  }

  push(chunk: Buffer): LineOutput[] {
    const out: LineOutput[] = [];
    for (const byte of chunk) {
      if (byte === this.#terminator) {
        this.#end(out);
      } else if (byte === this.#expected) {
        // part of the suffix
      } else if (byte < 0x20 || byte === 0x7f) {
        this.#noise++;
      } else if (this.#overflow) {
        // discarding up to the next terminator
      } else if (this.#buf.length >= this.#max) {
        this.#overflow = true;
        this.#buf = [];
      } else {
        this.#buf.push(byte);
      }
    }
    return out;
  }

  /**
   * The line has been quiet. Without a suffix this ends the code; with one, whatever is held is
   * a fragment (noise, a cut-off transmission) and is dropped so it cannot prefix the next code.
   */
  idle(): LineOutput[] {
    const out: LineOutput[] = [];
    if (!this.pending) return out;
    if (this.#terminator === undefined) {
      this.#end(out);
    } else {
      const bytes = this.#buf.length;
      this.#reset();
      out.push({ error: new DeviceError('bad_frame', 'partial line without suffix dropped', { bytes }) });
    }
    return out;
  }

  #end(out: LineOutput[]): void {
    const { noise, overflow } = { noise: this.#noise, overflow: this.#overflow };
    const bytes = Buffer.from(this.#buf);
    this.#reset();
    if (overflow) {
      out.push({ error: new DeviceError('line_too_long', `line longer than ${this.#max} bytes dropped`, { max: this.#max }) });
      return;
    }
    if (noise > 0) out.push({ error: new DeviceError('bad_frame', `${noise} control byte(s) stripped`, { stripped: noise }) });
    if (bytes.length === 0) return; // an empty line (CR after CRLF misconfig, a bare noise burst)
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      out.push({ error: new DeviceError('bad_frame', 'line is not valid UTF-8', { hex: bytes.toString('hex') }) });
      return;
    }
    out.push({ line: text });
  }

  #reset(): void {
    this.#buf = [];
    this.#noise = 0;
    this.#overflow = false;
  }
}
