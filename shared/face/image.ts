import { sharpLib } from '../image/sharp.ts';
import type { Sharp } from 'sharp';

/** Interleaved 8-bit RGB pixels, row by row. */
export interface RgbImage { data: Buffer; width: number; height: number }

/** Why an image was not taken: not an image at all, or a format enrolment does not take. */
export class FaceImageError extends Error {
  constructor(message: string, readonly code: 'bad_image' | 'unsupported_format' = 'bad_image') {
    super(message);
  }
}

/** The formats a face photo may come in (phones and cameras give JPEG; PNG and WebP from web pages). */
export const FACE_IMAGE_FORMATS = ['jpeg', 'png', 'webp'] as const;
export const FACE_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

/** Frames larger than this (either side) are shrunk first: a face never needs more, and it bounds the work. */
export const MAX_SIDE = 1600;
/**
 * Photos up to this many pixels are taken (a 108-megapixel phone photo, with room). JPEGs are
 * shrunk while they are decoded (libjpeg's DCT scaling), so a big photo costs little memory.
 */
export const MAX_INPUT_PIXELS = 120_000_000;

/**
 * Decodes a JPEG, PNG or WebP into RGB, turned upright by its EXIF orientation, scaled down to
 * at most MAX_SIDE. The same code at enrolment and at the gate, so both see the same pixels.
 * A JPEG cut short (an upload that stopped, a camera that lost a packet) is decoded as far
 * as it goes, the rest grey: a face in the part that arrived is still found.
 */
export async function decodeImage(input: Buffer, formats: readonly string[] = FACE_IMAGE_FORMATS): Promise<RgbImage> {
  const sharp = await sharpLib();
  let format: string | undefined;
  try {
    format = (await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }).metadata()).format;
  } catch (err) {
    throw new FaceImageError(`not a readable image: ${(err as Error).message}`);
  }
  if (!format || !formats.includes(format)) {
    throw new FaceImageError(`${format ?? 'unknown'} images are not taken: send ${formats.map((f) => f.toUpperCase()).join(', ')}`, 'unsupported_format');
  }
  try {
    const { data, info } = await sharp(input, { failOn: 'none', limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true })
      .rotate()
      .resize({ width: MAX_SIDE, height: MAX_SIDE, fit: 'inside', withoutEnlargement: true, fastShrinkOnLoad: true })
      .removeAlpha().toColourspace('srgb').raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new FaceImageError(`expected 3 channels, got ${info.channels}`);
    return { data, width: info.width, height: info.height };
  } catch (err) {
    if (err instanceof FaceImageError) throw err;
    throw new FaceImageError(`not a readable image: ${(err as Error).message}`);
  }
}

async function raw(img: RgbImage): Promise<Sharp> {
  return (await sharpLib())(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
}

/**
 * A square of `size` pixels from a region of the image: the region is cut out (where it
 * lies outside the image, black is added), then resized. Used for the detector's and the
 * landmark net's inputs.
 */
export async function squareFrom(img: RgbImage, region: { left: number; top: number; side: number }, size: number): Promise<RgbImage> {
  const left = Math.round(region.left);
  const top = Math.round(region.top);
  const side = Math.max(1, Math.round(region.side));
  const x0 = Math.max(0, left);
  const y0 = Math.max(0, top);
  const x1 = Math.min(img.width, left + side);
  const y1 = Math.min(img.height, top + side);
  if (x1 <= x0 || y1 <= y0) throw new FaceImageError('region outside the image');
  const cut = await (await raw(img)).extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
    .extend({ left: x0 - left, top: y0 - top, right: left + side - x1, bottom: top + side - y1, background: { r: 0, g: 0, b: 0 } })
    .raw().toBuffer();
  const { data, info } = await (await raw({ data: cut, width: side, height: side })).resize(size, size, { fit: 'fill', kernel: 'linear' }).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** A region of the image scaled by `factor` (< 1 shrinks), for sampling a chip without aliasing. */
export async function scaledRegion(img: RgbImage, region: { left: number; top: number; width: number; height: number }, factor: number): Promise<RgbImage> {
  const width = Math.max(1, Math.round(region.width * factor));
  const height = Math.max(1, Math.round(region.height * factor));
  const { data, info } = await (await raw(img)).extract(region).resize(width, height, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** HWC bytes as the NCHW float tensor the nets take (values 0..255). */
export function toNchw(img: RgbImage): Float32Array {
  const hw = img.width * img.height;
  const out = new Float32Array(hw * 3);
  const d = img.data;
  for (let i = 0, j = 0; i < hw; i++, j += 3) {
    out[i] = d[j]!;
    out[hw + i] = d[j + 1]!;
    out[2 * hw + i] = d[j + 2]!;
  }
  return out;
}

/** HWC bytes as an NHWC float tensor (the layout of nets converted from TensorFlow graphs), `scale`d. */
export function toNhwc(img: RgbImage, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i]! * scale + offset;
  return out;
}
