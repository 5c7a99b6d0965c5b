/**
 * Cuts a byte stream of back-to-back JPEG images (ffmpeg's `-f image2pipe -vcodec mjpeg`) into
 * whole images.
 *
 * Searching for the next FF D9 is not enough: an APP1 (Exif) segment may carry a thumbnail
 * with its own SOI/EOI, which camera MJPEG passed through unchanged does. So the splitter walks
 * the JPEG structure (ITU T.81, B.1.1): after SOI (FF D8) come marker segments `FF xx` with a
 * two-byte big-endian length that counts itself, skipped whole; after SOS (FF DA) comes
 * entropy-coded data, in which a data byte FF is followed by a stuffed 00 and RST0-7
 * (FF D0..D7) may appear, so the first FF followed by anything else is the next marker.
 * Progressive images have several SOS segments; the image ends at EOI (FF D9).
 * Bytes before an SOI (a cut-off image after a restart, noise) are dropped.
 */
export class JpegSplitter {
  readonly #maxBytes: number;
  #buffer: Buffer = Buffer.alloc(0);
  /** Bytes dropped so far while looking for an image start, or for oversized images. */
  dropped = 0;

  /** `maxBytes` bounds one image, so a stream without EOI cannot grow the buffer forever. */
  constructor(maxBytes = 16 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  /** Adds bytes and returns every image they complete, in order. */
  push(chunk: Buffer): Buffer[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const images: Buffer[] = [];
    for (;;) {
      const start = this.#findSoi();
      if (start < 0) break;
      const end = endOfImage(this.#buffer, start);
      if (end === 'bad') {
        // Not a JPEG after all (an FF D8 in noise): skip past it and look again.
        this.#drop(start + 2);
        continue;
      }
      if (end === 'more') {
        if (this.#buffer.length - start > this.#maxBytes) this.#drop(this.#buffer.length);
        break;
      }
      if (end - start > this.#maxBytes) this.dropped += end - start;
      else images.push(Buffer.from(this.#buffer.subarray(start, end)));
      this.#buffer = this.#buffer.subarray(end);
    }
    return images;
  }

  /** Forgets a partial image, e.g. when the producer restarts. */
  reset(): void {
    this.dropped += this.#buffer.length;
    this.#buffer = Buffer.alloc(0);
  }

  /** Index of the first SOI, dropping what comes before it; -1 (keeping a trailing FF) when none. */
  #findSoi(): number {
    const buf = this.#buffer;
    for (let i = 0; i + 1 < buf.length; i++) {
      if (buf[i] === 0xff && buf[i + 1] === 0xd8) {
        if (i > 0) this.#drop(i);
        return 0;
      }
    }
    const keep = buf.length > 0 && buf[buf.length - 1] === 0xff ? 1 : 0;
    this.#drop(buf.length - keep);
    return -1;
  }

  #drop(n: number): void {
    this.dropped += n;
    this.#buffer = this.#buffer.subarray(n);
  }
}

/** Offset just past the EOI of the image starting at `start`; 'more' when incomplete, 'bad' when not a JPEG. */
function endOfImage(buf: Buffer, start: number): number | 'more' | 'bad' {
  let i = start + 2;
  for (;;) {
    if (i >= buf.length) return 'more';
    if (buf[i] !== 0xff) return 'bad';
    // Any number of FF fill bytes may precede a marker.
    while (i < buf.length && buf[i] === 0xff) i++;
    if (i >= buf.length) return 'more';
    const marker = buf[i++]!;
    if (marker === 0xd9) return i;
    if (marker === 0xd8 || marker === 0x00) return 'bad';
    // Standalone markers without a length: TEM, RST0-7.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (i + 2 > buf.length) return 'more';
    const length = buf.readUInt16BE(i);
    if (length < 2) return 'bad';
    i += length;
    if (marker !== 0xda) continue;
    // Entropy-coded data up to the next marker that is not a stuffed byte or a restart.
    for (;;) {
      if (i + 1 >= buf.length) return 'more';
      if (buf[i] === 0xff) {
        const next = buf[i + 1]!;
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
          i += next === 0xff ? 1 : 2;
          continue;
        }
        break;
      }
      i++;
    }
  }
}
