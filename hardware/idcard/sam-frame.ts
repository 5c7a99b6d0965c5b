import { DeviceError } from '../errors.ts';

/**
 * Frames of the second-generation ID card SAM (security module) serial protocol, GA 467:
 *
 *   request:   AA AA AA 96 69 | LEN(2, big endian) | CMD | PARA | DATA... | CHK
 *   response:  AA AA AA 96 69 | LEN(2, big endian) | SW1 | SW2 | SW3 | DATA... | CHK
 *
 * LEN counts everything after itself, CHK included; CHK is the XOR of the LEN bytes and every
 * byte after them up to CHK. Both directions share the layout, so one parser serves the
 * reader driver (responses) and the simulator (requests); the caller reads the body.
 */
export const PREAMBLE = Buffer.from([0xaa, 0xaa, 0xaa, 0x96, 0x69]);

/** The longest answer in use (basic info + photo + fingerprint) is 2321 bytes; more is garbage. */
export const MAX_LEN = 4096;

export function encodeSamFrame(body: Buffer): Buffer {
  const len = body.length + 1;
  const head = Buffer.from([len >> 8, len & 0xff]);
  let chk = head[0]! ^ head[1]!;
  for (const b of body) chk ^= b;
  return Buffer.concat([PREAMBLE, head, body, Buffer.from([chk])]);
}

export type SamOutput = { body: Buffer } | { error: DeviceError };

/**
 * Finds frames in a byte stream: bytes in, frame bodies (between LEN and CHK) and errors out.
 * Noise before a preamble is reported once per run; a bad length or checksum is reported and
 * the search resumes one byte after the failed preamble, so a good frame inside is still found.
 */
export class SamFrameParser {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SamOutput[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: SamOutput[] = [];
    for (;;) {
      if (!this.#seek(out)) break;
      const buf = this.#buf;
      if (buf.length < 7) break;
      const len = buf.readUInt16BE(5);
      if (len < 2 || len > MAX_LEN) {
        this.#skip(out, new DeviceError('bad_frame', `impossible frame length ${len}`, { len }));
        continue;
      }
      if (buf.length < 7 + len) break;
      let chk = 0;
      for (let i = 5; i < 7 + len - 1; i++) chk ^= buf[i]!;
      if (chk !== buf[7 + len - 1]) {
        this.#skip(out, new DeviceError('bad_checksum', 'frame checksum wrong', { len }));
        continue;
      }
      out.push({ body: Buffer.from(buf.subarray(7, 7 + len - 1)) });
      this.#buf = buf.subarray(7 + len);
    }
    return out;
  }

  /** Drops a held partial frame (after a response timeout). */
  reset(): void {
    this.#buf = Buffer.alloc(0);
  }

  get pending(): number {
    return this.#buf.length;
  }

  /** Moves to the next preamble (or the tail that may begin one); false when none yet. */
  #seek(out: SamOutput[]): boolean {
    const buf = this.#buf;
    const at = buf.indexOf(PREAMBLE);
    let drop = at;
    if (at < 0) {
      // Keep the longest tail that is a prefix of the preamble.
      let keep = Math.min(PREAMBLE.length - 1, buf.length);
      while (keep > 0 && !buf.subarray(buf.length - keep).equals(PREAMBLE.subarray(0, keep))) keep--;
      drop = buf.length - keep;
    }
    if (drop > 0) {
      out.push({ error: new DeviceError('bad_frame', `${drop} stray byte(s) skipped`, { hex: buf.subarray(0, Math.min(drop, 16)).toString('hex') }) });
      this.#buf = buf.subarray(drop);
    }
    return at >= 0;
  }

  #skip(out: SamOutput[], error: DeviceError): void {
    out.push({ error });
    this.#buf = this.#buf.subarray(1);
  }
}
