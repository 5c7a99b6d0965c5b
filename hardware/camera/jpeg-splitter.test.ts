import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JpegSplitter } from './jpeg-splitter.ts';

/** Compares lists of images by identity of bytes, without printing megabytes on failure. */
function same(actual: Buffer[], expected: Buffer[], label = ''): void {
  assert.is(actual.length, expected.length, `${label} image count`);
  actual.forEach((img, i) => assert.ok(img.equals(expected[i]!), `${label} image ${i} differs`));
}

async function jpeg(seed: number, options: { progressive?: boolean; width?: number } = {}): Promise<Buffer> {
  const width = options.width ?? 64;
  const pixels = Buffer.alloc(width * 48 * 3);
  // Noisy content so the entropy-coded data holds many FF bytes (stuffed as FF 00).
  let x = seed;
  for (let i = 0; i < pixels.length; i++) pixels[i] = x = (x * 1103515245 + 12345) >>> 16 & 0xff;
  return sharp(pixels, { raw: { width, height: 48, channels: 3 } })
    .jpeg({ quality: 90, progressive: options.progressive ?? false })
    .toBuffer();
}

/** Splits `stream` fed in pieces of pseudo-random sizes. */
function split(stream: Buffer, seed: number, splitter = new JpegSplitter()): Buffer[] {
  const out: Buffer[] = [];
  let x = seed;
  for (let i = 0; i < stream.length; ) {
    x = (x * 1103515245 + 12345) >>> 0;
    const n = 1 + (x % 700);
    out.push(...splitter.push(stream.subarray(i, i + n)));
    i += n;
  }
  return out;
}

test('real JPEGs back to back come out whole, however the stream is chunked', async () => {
  const images = await Promise.all([1, 2, 3, 4, 5].map((s) => jpeg(s)));
  const hasStuffing = images.some((img) => img.includes(Buffer.from([0xff, 0x00])));
  assert.ok(hasStuffing, 'test images contain stuffed FF 00 bytes');
  const stream = Buffer.concat(images);
  for (const seed of [1, 7, 99]) {
    same(split(stream, seed), images);
  }
  // One byte at a time, the worst case for marker lengths split across chunks.
  const splitter = new JpegSplitter();
  const out: Buffer[] = [];
  for (const byte of stream) out.push(...splitter.push(Buffer.from([byte])));
  same(out, images);
});

test('progressive JPEGs (several scans) come out whole', async () => {
  const images = await Promise.all([11, 12].map((s) => jpeg(s, { progressive: true })));
  const sos = (img: Buffer) => img.toString('latin1').split('\xff\xda').length - 1;
  assert.ok(sos(images[0]!) > 1, 'progressive image has several SOS segments');
  same(split(Buffer.concat(images), 3), images);
});

test('an embedded thumbnail (SOI/EOI inside APP1) does not end the image early', async () => {
  const thumb = await jpeg(21, { width: 16 });
  const main = await jpeg(22);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), thumb]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(payload.length + 2, 2);
  const withThumb = Buffer.concat([main.subarray(0, 2), app1, payload, main.subarray(2)]);
  const out = split(Buffer.concat([withThumb, main]), 5);
  assert.is(out.length, 2);
  assert.ok(out[0]!.equals(withThumb));
  const meta = await sharp(out[0]!).metadata();
  assert.is(meta.width, 64);
});

test('garbage and a stray FF D8 before an image are dropped', async () => {
  const img = await jpeg(31);
  const splitter = new JpegSplitter();
  const noise = Buffer.from([0x00, 0x12, 0xff, 0xd8, 0x41, 0x42, 0xff]);
  const out = split(Buffer.concat([noise, img, Buffer.from('tail'), img]), 9, splitter);
  same(out, [img, img]);
  assert.ok(splitter.dropped >= noise.length + 4);
});

test('a cut-off image followed by a whole one yields only the whole one', async () => {
  const a = await jpeg(41);
  const b = await jpeg(42);
  // ffmpeg killed mid-image, restarted: the next SOI appears inside a's entropy data.
  const cut = a.subarray(0, Math.floor(a.length / 2));
  const out = split(Buffer.concat([cut, b]), 2);
  // The cut image swallows b's SOI as entropy bytes or is found bad; either way no broken image comes out.
  for (const img of out) assert.ok((await sharp(img).metadata()).width! > 0);
  const splitter = new JpegSplitter();
  splitter.push(cut);
  splitter.reset();
  same(splitter.push(b), [b]);
});

test('an image over the size bound is dropped rather than buffered forever', async () => {
  const img = await jpeg(51);
  const splitter = new JpegSplitter(img.length - 1);
  same(splitter.push(img.subarray(0, img.length - 1)), []);
  same(splitter.push(img.subarray(img.length - 1)), []);
  const ok = await jpeg(52, { width: 8 });
  same(splitter.push(ok), [ok]);
});

test('random and mutated streams never throw, and whatever comes out is SOI..EOI', async () => {
  const img = await jpeg(61);
  let x = 2024;
  const rand = (n: number) => ((x = (x * 1103515245 + 12345) >>> 0) % n);
  for (let round = 0; round < 300; round++) {
    const parts: Buffer[] = [];
    for (let k = 0; k < 3; k++) {
      const kind = rand(3);
      if (kind === 0) parts.push(Buffer.from(Array.from({ length: rand(400) }, () => (rand(4) === 0 ? 0xff : rand(256)))));
      else if (kind === 1) parts.push(img);
      else {
        const bad = Buffer.from(img);
        for (let m = 0; m < 5; m++) bad[rand(bad.length)] = rand(256);
        parts.push(bad.subarray(0, rand(bad.length)));
      }
    }
    const splitter = new JpegSplitter(1 << 16);
    for (const out of split(Buffer.concat(parts), round, splitter)) {
      assert.is(out[0], 0xff);
      assert.is(out[1], 0xd8);
      assert.is(out[out.length - 2], 0xff);
      assert.is(out[out.length - 1], 0xd9);
    }
  }
});

test.run();
