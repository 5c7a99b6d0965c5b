import type { RgbImage } from './image.ts';
import { scaledRegion } from './image.ts';

export interface Point { x: number; y: number }

/**
 * dlib's mean face shape for landmarks 17..67 of the 68-point scheme (the one
 * `dlib::get_face_chip_details` uses), in a unit square. The dlib ResNet was trained on chips
 * made from it (150 x 150, padding 0.25), so descriptors are only comparable on such chips.
 */
const MEAN_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127, 0.490127, 0.490127,
  0.490127, 0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647,
  0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159,
  0.556721, 0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127, 0.42689,
];
const MEAN_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352, 0.307009,
  0.409805, 0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733, 0.245099, 0.244077,
  0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233,
  0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803, 0.824182,
];

/** x' = a*x - b*y + tx, y' = b*x + a*y + ty (rotation, uniform scale, translation). */
export interface Similarity { a: number; b: number; tx: number; ty: number }

/** Least-squares similarity transform taking `from` onto `to` (closed form, no reflection). */
export function fitSimilarity(from: Point[], to: Point[]): Similarity {
  const n = from.length;
  let fx = 0, fy = 0, tx = 0, ty = 0;
  for (let i = 0; i < n; i++) { fx += from[i]!.x; fy += from[i]!.y; tx += to[i]!.x; ty += to[i]!.y; }
  fx /= n; fy /= n; tx /= n; ty /= n;
  let sxx = 0, sxy = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    const px = from[i]!.x - fx, py = from[i]!.y - fy, qx = to[i]!.x - tx, qy = to[i]!.y - ty;
    sxx += px * qx + py * qy;
    sxy += px * qy - py * qx;
    norm += px * px + py * py;
  }
  const a = sxx / norm;
  const b = sxy / norm;
  return { a, b, tx: tx - (a * fx - b * fy), ty: ty - (b * fx + a * fy) };
}

export const apply = (t: Similarity, p: Point): Point => ({ x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty });

export interface ChipSpec { size: number; padding: number }
export const DLIB_CHIP: ChipSpec = { size: 150, padding: 0.25 };

/** Where a chip pixel comes from in the image: the transform from chip to image coordinates. */
export function chipTransform(landmarks68: Point[], spec: ChipSpec = DLIB_CHIP): Similarity {
  if (landmarks68.length !== 68) throw new Error(`expected 68 landmarks, got ${landmarks68.length}`);
  const from = MEAN_X.map((x, i) => ({
    x: ((x + spec.padding) / (2 * spec.padding + 1)) * spec.size,
    y: ((MEAN_Y[i]! + spec.padding) / (2 * spec.padding + 1)) * spec.size,
  }));
  return fitSimilarity(from, landmarks68.slice(17));
}

function bilinear(img: RgbImage, x: number, y: number, out: Buffer, o: number): void {
  const { width: w, height: h, data } = img;
  if (x < 0 || y < 0 || x > w - 1 || y > h - 1) {
    out[o] = out[o + 1] = out[o + 2] = 0;
    return;
  }
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const x1 = Math.min(x0 + 1, w - 1), y1 = Math.min(y0 + 1, h - 1);
  const fx = x - x0, fy = y - y0;
  const i00 = (y0 * w + x0) * 3, i01 = (y0 * w + x1) * 3, i10 = (y1 * w + x0) * 3, i11 = (y1 * w + x1) * 3;
  for (let c = 0; c < 3; c++) {
    const top = data[i00 + c]! + (data[i01 + c]! - data[i00 + c]!) * fx;
    const bottom = data[i10 + c]! + (data[i11 + c]! - data[i10 + c]!) * fx;
    out[o + c] = Math.round(top + (bottom - top) * fy);
  }
}

/**
 * The aligned face chip, dlib style: each chip pixel sampled (bilinear) where the similarity
 * transform puts it in the image. A face much larger than the chip is first shrunk by sharp
 * (lanczos) around the chip's footprint, as dlib shrinks by pyramid, so the chip is not aliased.
 */
export async function extractChip(img: RgbImage, landmarks68: Point[], spec: ChipSpec = DLIB_CHIP): Promise<RgbImage> {
  let t = chipTransform(landmarks68, spec);
  let src = img;
  const scale = Math.hypot(t.a, t.b); // image pixels per chip pixel
  if (scale > 1.5) {
    const corners = [apply(t, { x: 0, y: 0 }), apply(t, { x: spec.size, y: 0 }), apply(t, { x: 0, y: spec.size }), apply(t, { x: spec.size, y: spec.size })];
    const left = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.x))) - 2);
    const top = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.y))) - 2);
    const right = Math.min(img.width, Math.ceil(Math.max(...corners.map((p) => p.x))) + 2);
    const bottom = Math.min(img.height, Math.ceil(Math.max(...corners.map((p) => p.y))) + 2);
    if (right - left > 4 && bottom - top > 4) {
      src = await scaledRegion(img, { left, top, width: right - left, height: bottom - top }, 1 / scale);
      const fx = src.width / (right - left), fy = src.height / (bottom - top);
      // Same transform, expressed in the shrunk region's pixels (centre-aligned sampling grids).
      const f = (fx + fy) / 2;
      t = { a: t.a * f, b: t.b * f, tx: (t.tx - left + 0.5) * f - 0.5, ty: (t.ty - top + 0.5) * f - 0.5 };
    }
  }
  const out = Buffer.alloc(spec.size * spec.size * 3);
  for (let y = 0; y < spec.size; y++) {
    for (let x = 0; x < spec.size; x++) {
      bilinear(src, t.a * x - t.b * y + t.tx, t.b * x + t.a * y + t.ty, out, (y * spec.size + x) * 3);
    }
  }
  return { data: out, width: spec.size, height: spec.size };
}
