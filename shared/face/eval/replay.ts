import { decodeImage, type RgbImage } from '../image.ts';
import { sharpLib } from '../../image/sharp.ts';

/**
 * A photo (or a painting, a mask picture) held up to a gate camera and moved by hand, as the
 * camera sees it: the picture is a plane, so each frame is a projective warp of it (a little
 * turn, tilt, shift and change of distance from frame to frame), on a plain background,
 * JPEG-compressed like a camera frame. Deterministic for a seed.
 */
export interface ReplayOptions { frames?: number; width?: number; height?: number; seed?: number }

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Inverse of a 3x3 matrix (row-major, 9 numbers). */
function invert(m: number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m as [number, number, number, number, number, number, number, number, number];
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [A, -(b * i - c * h), b * f - c * e, B, a * i - c * g, -(a * f - c * d), C, -(a * h - b * g), a * e - b * d].map((v) => v / det);
}

/** The homography of a picture of size w x h, centred in the frame, turned by `yaw`/`pitch` (radians, as a rigid card), rolled, scaled and shifted. */
function cardPose(w: number, h: number, W: number, H: number, p: { yaw: number; pitch: number; roll: number; scale: number; dx: number; dy: number }): number[] {
  const f = Math.max(W, H) * 1.2; // focal length in pixels (a ~50 degree lens)
  const cy = Math.cos(p.yaw), sy = Math.sin(p.yaw), cp = Math.cos(p.pitch), sp = Math.sin(p.pitch), cr = Math.cos(p.roll), sr = Math.sin(p.roll);
  // Rotation R = Rz(roll) * Rx(pitch) * Ry(yaw); the card lies in z = 0 at depth Z.
  const R = [
    [cr * cy + sr * sp * sy, -sr * cp, cr * -sy + sr * sp * cy],
    [sr * cy - cr * sp * sy, cr * cp, sr * -sy - cr * sp * cy],
    [cp * sy, sp, cp * cy],
  ];
  const size = (Math.min(W / w, H / h) * 0.75) * p.scale;
  const Z = f / size; // depth at which one picture pixel is `size` frame pixels
  // Picture point (x, y) -> world (x - w/2, y - h/2, 0) -> camera R*X + (0, 0, Z) -> frame.
  const col = (k: number) => [R[0]![k]!, R[1]![k]!, R[2]![k]!];
  const r1 = col(0), r2 = col(1);
  const t = [-(w / 2) * r1[0]! - (h / 2) * r2[0]!, -(w / 2) * r1[1]! - (h / 2) * r2[1]!, -(w / 2) * r1[2]! - (h / 2) * r2[2]! + Z];
  const K = [[f, 0, W / 2 + p.dx * W], [0, f, H / 2 + p.dy * H], [0, 0, 1]];
  const M = [[r1[0]!, r2[0]!, t[0]!], [r1[1]!, r2[1]!, t[1]!], [r1[2]!, r2[2]!, t[2]!]];
  return K.flatMap((row) => [0, 1, 2].map((j) => row.reduce((s, v, k) => s + v * M[k]![j]!, 0)));
}

function warp(src: RgbImage, Hm: number[], W: number, H: number, background: [number, number, number]): Buffer {
  const inv = invert(Hm);
  const out = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const w = inv[6]! * x + inv[7]! * y + inv[8]!;
      const u = (inv[0]! * x + inv[1]! * y + inv[2]!) / w, v = (inv[3]! * x + inv[4]! * y + inv[5]!) / w;
      const o = (y * W + x) * 3;
      if (u < 0 || v < 0 || u > src.width - 1 || v > src.height - 1) {
        out[o] = background[0]; out[o + 1] = background[1]; out[o + 2] = background[2];
        continue;
      }
      const x0 = Math.floor(u), y0 = Math.floor(v), x1 = Math.min(x0 + 1, src.width - 1), y1 = Math.min(y0 + 1, src.height - 1);
      const fx = u - x0, fy = v - y0;
      for (let c = 0; c < 3; c++) {
        const a = src.data[(y0 * src.width + x0) * 3 + c]!, b = src.data[(y0 * src.width + x1) * 3 + c]!;
        const d = src.data[(y1 * src.width + x0) * 3 + c]!, e = src.data[(y1 * src.width + x1) * 3 + c]!;
        out[o + c] = Math.round((a + (b - a) * fx) + ((d + (e - d) * fx) - (a + (b - a) * fx)) * fy);
      }
    }
  }
  return out;
}

/** Camera frames (JPEG) of the picture moved by hand before the camera. */
export async function replayFrames(picture: Buffer, opts: ReplayOptions = {}): Promise<Buffer[]> {
  const n = opts.frames ?? 4, W = opts.width ?? 640, H = opts.height ?? 480;
  const r = rng(opts.seed ?? 1);
  const src = await decodeImage(picture);
  const sharp = await sharpLib();
  const pose = { yaw: (r() - 0.5) * 0.3, pitch: (r() - 0.5) * 0.2, roll: (r() - 0.5) * 0.1, scale: 0.9 + r() * 0.2, dx: (r() - 0.5) * 0.05, dy: (r() - 0.5) * 0.05 };
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    // Each frame the hand moves a little: up to ~9 degrees of turn, ~6 of tilt, a few per cent of shift and distance.
    const p = { yaw: pose.yaw + (r() - 0.5) * 0.3, pitch: pose.pitch + (r() - 0.5) * 0.2, roll: pose.roll + (r() - 0.5) * 0.08, scale: pose.scale * (0.95 + r() * 0.1), dx: pose.dx + (r() - 0.5) * 0.04, dy: pose.dy + (r() - 0.5) * 0.04 };
    const frame = warp(src, cardPose(src.width, src.height, W, H, p), W, H, [96, 104, 112]);
    out.push(await sharp(frame, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 80 }).toBuffer());
  }
  return out;
}
