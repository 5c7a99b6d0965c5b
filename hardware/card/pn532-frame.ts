import { DeviceError } from '../errors.ts';

/**
 * PN532 frames (NXP UM0701-02, section 6.2.1), the same on HSU, SPI and I2C:
 *
 *   normal:    00 | 00 FF | LEN | LCS | TFI PD0..PDn | DCS | 00
 *   extended:  00 | 00 FF | FF FF | LENM LENL | LCS | TFI PD0..PDn | DCS | 00
 *   ACK:       00 00 FF 00 FF 00
 *   NACK:      00 00 FF FF 00 00
 *   error:     00 00 FF 01 FF 7F 81 00   (application-level error: the PN532 did not
 *                                          understand the frame)
 *
 * LEN counts TFI and PD bytes; LEN + LCS = 0 and TFI + PD0 + ... + PDn + DCS = 0 (mod 256).
 * TFI is D4 from host to PN532 and D5 back.
 */
export const TFI_HOST = 0xd4;
export const TFI_PN532 = 0xd5;
const TFI_ERROR = 0x7f;

export const ACK = Buffer.from([0x00, 0x00, 0xff, 0x00, 0xff, 0x00]);
export const NACK = Buffer.from([0x00, 0x00, 0xff, 0xff, 0x00, 0x00]);
export const ERROR_FRAME = Buffer.from([0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00]);

/**
 * HSU wake-up: the PN532 sleeps after power-on in HSU mode and needs a long preamble before
 * its first command (UM0701-02 7.2.11); libnfc sends 55 55 then zeros.
 */
export const WAKEUP = Buffer.from([0x55, 0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** Normal frames carry up to 255 bytes of TFI + data; longer ones use the extended form. */
export function encodeFrame(tfi: number, data: Buffer): Buffer {
  const len = data.length + 1;
  let dcs = tfi;
  for (const b of data) dcs += b;
  dcs = (0x100 - (dcs & 0xff)) & 0xff;
  if (len <= 0xff) {
    return Buffer.concat([Buffer.from([0x00, 0x00, 0xff, len, (0x100 - len) & 0xff, tfi]), data, Buffer.from([dcs, 0x00])]);
  }
  if (len > 0xffff) throw new DeviceError('invalid_argument', `frame too long: ${len}`);
  const m = len >> 8;
  const l = len & 0xff;
  const lcs = (0x100 - ((m + l) & 0xff)) & 0xff;
  return Buffer.concat([Buffer.from([0x00, 0x00, 0xff, 0xff, 0xff, m, l, lcs, tfi]), data, Buffer.from([dcs, 0x00])]);
}

export type Pn532Output =
  | { type: 'ack' }
  | { type: 'nack' }
  /** The peer's application-level error frame. */
  | { type: 'syntax_error' }
  | { type: 'frame'; tfi: number; data: Buffer }
  | { type: 'error'; error: DeviceError };

/**
 * Finds frames in a PN532 byte stream. Pure (bytes in, frames and errors out) so the framing
 * is tested on recorded bytes. Preamble and postamble zeros and the HSU wake-up bytes are
 * skipped silently; other bytes between frames are reported once per run as noise. A frame
 * with a bad length or data checksum is reported and the search restarts just after its
 * start code, so a good frame hidden behind a corrupt header is still found.
 */
export class Pn532FrameParser {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Pn532Output[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: Pn532Output[] = [];
    for (;;) {
      const start = this.#findStart(out);
      if (start < 0) break;
      const consumed = this.#parseAt(start, out);
      if (consumed === 0) break; // need more bytes
      this.#buf = this.#buf.subarray(consumed);
    }
    return out;
  }

  /** Drops a held partial frame (the driver calls this when a response times out). */
  reset(): void {
    this.#buf = Buffer.alloc(0);
  }

  get pending(): number {
    return this.#buf.length;
  }

  /** Index of the next 00 FF start code; bytes before it are dropped (noise reported). */
  #findStart(out: Pn532Output[]): number {
    const buf = this.#buf;
    let i = 0;
    while (i + 1 < buf.length && !(buf[i] === 0x00 && buf[i + 1] === 0xff)) i++;
    // An unpaired last byte is kept only if it can begin a start code.
    if (i === buf.length - 1 && buf[i] !== 0x00) i = buf.length;
    const junk = buf.subarray(0, i);
    const noise = junk.filter((b) => b !== 0x00 && b !== 0x55).length;
    if (noise > 0) out.push({ type: 'error', error: new DeviceError('bad_frame', `${noise} stray byte(s) skipped`, { hex: junk.toString('hex') }) });
    this.#buf = buf.subarray(i);
    return this.#buf.length >= 2 ? 0 : -1;
  }

  /** Parses the frame whose start code is at `s`; returns bytes consumed, 0 when incomplete. */
  #parseAt(s: number, out: Pn532Output[]): number {
    const buf = this.#buf;
    if (buf.length < s + 4) return 0;
    const a = buf[s + 2]!;
    const b = buf[s + 3]!;
    if (a === 0x00 && b === 0xff) return out.push({ type: 'ack' }), s + 4;
    if (a === 0xff && b === 0x00) return out.push({ type: 'nack' }), s + 4;
    let len: number;
    let body: number;
    if (a === 0xff && b === 0xff) {
      if (buf.length < s + 7) return 0;
      const m = buf[s + 4]!;
      const l = buf[s + 5]!;
      if (((m + l + buf[s + 6]!) & 0xff) !== 0) return this.#resync(out, 'bad_checksum', 'extended length checksum wrong');
      len = (m << 8) | l;
      body = s + 7;
    } else {
      if (((a + b) & 0xff) !== 0) return this.#resync(out, 'bad_checksum', 'length checksum wrong');
      len = a;
      body = s + 4;
    }
    if (len === 0) return this.#resync(out, 'bad_frame', 'empty frame');
    if (buf.length < body + len + 1) return 0;
    let sum = 0;
    for (let i = body; i <= body + len; i++) sum += buf[i]!;
    if ((sum & 0xff) !== 0) return this.#resync(out, 'bad_checksum', 'data checksum wrong');
    const tfi = buf[body]!;
    const data = Buffer.from(buf.subarray(body + 1, body + len));
    if (tfi === TFI_ERROR && len === 1) out.push({ type: 'syntax_error' });
    else if (tfi === TFI_HOST || tfi === TFI_PN532) out.push({ type: 'frame', tfi, data });
    else out.push({ type: 'error', error: new DeviceError('bad_frame', `unknown TFI ${tfi.toString(16)}`, { tfi }) });
    return body + len + 1;
  }

  #resync(out: Pn532Output[], code: 'bad_checksum' | 'bad_frame', message: string): number {
    out.push({ type: 'error', error: new DeviceError(code, message, { hex: this.#buf.subarray(0, 16).toString('hex') }) });
    return 2; // past this start code
  }
}
