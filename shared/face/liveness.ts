import type { Point } from './align.ts';

/**
 * Liveness from motion, over a few frames of one visitor: a photo or a screen held to the
 * camera is a plane, and whatever way it is moved, its image in one frame is a projective
 * transform (a homography) of its image in another. So are its 68 landmarks, up to the
 * landmark net's own jitter. A live face is not a plane: turning the head moves the nose
 * against the cheeks, and a blink or a word moves eyes and mouth against the rest. The
 * score is how far the landmarks of the later frames stray from the best homography of the
 * first frame's, as a share of the distance between the eyes.
 *
 * What it cannot tell: a video of the visitor played on a screen (the face in it moves), a
 * photo bent into a curve, a 3D mask. Those need a texture model or depth; see README.
 */

/** Homography (h33 = 1) taking `from` onto `to` by least squares on normalised points (Hartley). */
export function fitHomography(from: Point[], to: Point[]): number[] {
  const norm = (ps: Point[]) => {
    const n = ps.length;
    const cx = ps.reduce((a, p) => a + p.x, 0) / n, cy = ps.reduce((a, p) => a + p.y, 0) / n;
    const s = Math.SQRT2 / (ps.reduce((a, p) => a + Math.hypot(p.x - cx, p.y - cy), 0) / n || 1);
    return { cx, cy, s, pts: ps.map((p) => ({ x: (p.x - cx) * s, y: (p.y - cy) * s })) };
  };
  const A = norm(from), B = norm(to);
  // Normal equations of the 2N x 8 linear system.
  const M = Array.from({ length: 8 }, () => new Array<number>(9).fill(0));
  const addRow = (r: number[], b: number) => {
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 8; j++) M[i]![j]! += r[i]! * r[j]!;
      M[i]![8]! += r[i]! * b;
    }
  };
  for (let k = 0; k < from.length; k++) {
    const { x, y } = A.pts[k]!, { x: u, y: v } = B.pts[k]!;
    addRow([x, y, 1, 0, 0, 0, -u * x, -u * y], u);
    addRow([0, 0, 0, x, y, 1, -v * x, -v * y], v);
  }
  const h = solve(M);
  // Undo the normalisations: H = T_B^-1 * Hn * T_A.
  const Hn = [[h[0]!, h[1]!, h[2]!], [h[3]!, h[4]!, h[5]!], [h[6]!, h[7]!, 1]];
  const TA = [[A.s, 0, -A.s * A.cx], [0, A.s, -A.s * A.cy], [0, 0, 1]];
  const TBi = [[1 / B.s, 0, B.cx], [0, 1 / B.s, B.cy], [0, 0, 1]];
  const H = mul(TBi, mul(Hn, TA));
  const k = H[2]![2]!;
  return H.flat().map((v) => v / k);
}

function mul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}

/** Gaussian elimination with partial pivoting on an augmented n x (n+1) matrix. */
function solve(m: number[][]): number[] {
  const n = m.length;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const d = m[c]![c]! || 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / d;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / (row[i]! || 1e-12));
}

export function project(H: number[], p: Point): Point {
  const w = H[6]! * p.x + H[7]! * p.y + H[8]!;
  return { x: (H[0]! * p.x + H[1]! * p.y + H[2]!) / w, y: (H[3]! * p.x + H[4]! * p.y + H[5]!) / w };
}

const eyeDistance = (l: Point[]) => {
  const mean = (a: number, b: number) => {
    let x = 0, y = 0;
    for (let i = a; i <= b; i++) { x += l[i]!.x; y += l[i]!.y; }
    return { x: x / (b - a + 1), y: y / (b - a + 1) };
  };
  const le = mean(36, 41), re = mean(42, 47);
  return Math.hypot(le.x - re.x, le.y - re.y);
};

/** RMS distance between `b`'s landmarks and `a`'s carried over by their best homography, over the eye distance. */
export function planarResidual(a: Point[], b: Point[]): number {
  const H = fitHomography(a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const q = project(H, a[i]!);
    s += (q.x - b[i]!.x) ** 2 + (q.y - b[i]!.y) ** 2;
  }
  return Math.sqrt(s / a.length) / Math.max(1e-6, eyeDistance(b));
}

/** The motion score of a run of frames: the largest residual of any later frame against the first. */
export function motionScore(frames: Point[][]): number {
  if (frames.length < 2) return 0;
  let best = 0;
  for (let i = 1; i < frames.length; i++) best = Math.max(best, planarResidual(frames[0]!, frames[i]!));
  return best;
}

/**
 * Live at or above this score. Set by eval:face from live video runs against photos and art
 * moved as a plane before the camera (see its liveness table).
 */
export const LIVENESS_THRESHOLD = 0.04;
