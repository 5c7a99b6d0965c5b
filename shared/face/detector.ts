import { DETECTOR_INPUT } from './build/nets.ts';
import { squareFrom, toNchw, type RgbImage } from './image.ts';
import { openSession, runOne, type Session } from './onnx.ts';

export interface FaceBox { x: number; y: number; width: number; height: number; score: number }

/** Finds faces in an image: boxes in image pixels, best first. */
export interface Detector {
  readonly id: string;
  /**
   * `zoomOut` > 1 looks at the image centred in a square that many times its longer side: the
   * tiny detector misses a face that fills most of the frame (an ID photo, a close-up at the
   * window), and finds it once there is room around it.
   */
  detect(img: RgbImage, opts?: { zoomOut?: number }): Promise<FaceBox[]>;
  close(): Promise<void>;
}

// face-api src/tinyFaceDetector/const.ts
const ANCHORS = [[1.603231, 2.094468], [6.041143, 7.080126], [2.882459, 3.518061], [4.266906, 5.178857], [9.041765, 10.66308]] as const;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export function iou(a: FaceBox, b: FaceBox): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** Greedy non-maximum suppression, best score first. */
export function suppress(boxes: FaceBox[], threshold: number): FaceBox[] {
  const kept: FaceBox[] = [];
  for (const b of [...boxes].sort((p, q) => q.score - p.score)) if (kept.every((k) => iou(k, b) <= threshold)) kept.push(b);
  return kept;
}

/**
 * Decodes the Tiny YOLOv2 grid (`[1, 5 * 5, n, n]`, NCHW) as face-api's TinyYolov2Base.extractBoxes
 * does: sigmoid offsets within a cell, anchor-scaled exp sizes, sigmoid score.
 */
export function decodeGrid(grid: Float32Array, cells: number, side: number, scoreThreshold: number): FaceBox[] {
  const out: FaceBox[] = [];
  const plane = cells * cells;
  for (let row = 0; row < cells; row++) {
    for (let col = 0; col < cells; col++) {
      for (let a = 0; a < ANCHORS.length; a++) {
        const at = (k: number) => grid[(a * 5 + k) * plane + row * cells + col]!;
        const score = sigmoid(at(4));
        if (score <= scoreThreshold) continue;
        const cx = ((col + sigmoid(at(0))) / cells) * side;
        const cy = ((row + sigmoid(at(1))) / cells) * side;
        const w = ((Math.exp(at(2)) * ANCHORS[a]![0]) / cells) * side;
        const h = ((Math.exp(at(3)) * ANCHORS[a]![1]) / cells) * side;
        out.push({ x: cx - w / 2, y: cy - h / 2, width: w, height: h, score });
      }
    }
  }
  return out;
}

export interface TinyDetectorOptions { scoreThreshold?: number; iouThreshold?: number; threads?: number }

/** face-api's tiny face detector, converted to ONNX (416 x 416 input, image padded right/bottom to a square). */
export class TinyFaceDetector implements Detector {
  readonly id = 'tiny-face-detector';
  private constructor(private readonly session: Session, private readonly opts: Required<Omit<TinyDetectorOptions, 'threads'>>) {}

  static async open(path: string, opts: TinyDetectorOptions = {}): Promise<TinyFaceDetector> {
    return new TinyFaceDetector(await openSession(path, opts.threads), { scoreThreshold: opts.scoreThreshold ?? 0.5, iouThreshold: opts.iouThreshold ?? 0.4 });
  }

  async detect(img: RgbImage, opts: { zoomOut?: number } = {}): Promise<FaceBox[]> {
    const zoom = Math.max(1, opts.zoomOut ?? 1);
    const side = Math.round(Math.max(img.width, img.height) * zoom);
    // As face-api: the image padded right and bottom to a square; zoomed out, centred in it.
    const left = zoom > 1 ? -Math.round((side - img.width) / 2) : 0;
    const top = zoom > 1 ? -Math.round((side - img.height) / 2) : 0;
    const input = await squareFrom(img, { left, top, side }, DETECTOR_INPUT);
    const grid = await runOne(this.session, toNchw(input), [1, 3, DETECTOR_INPUT, DETECTOR_INPUT]);
    const cells = Math.round(Math.sqrt(grid.length / 25));
    return suppress(decodeGrid(grid, cells, side, this.opts.scoreThreshold), this.opts.iouThreshold)
      .map((b) => clip({ ...b, x: b.x + left, y: b.y + top }, img.width, img.height))
      .filter((b) => b.width > 1 && b.height > 1);
  }

  close(): Promise<void> { return this.session.release(); }
}

function clip(b: FaceBox, w: number, h: number): FaceBox {
  const x = Math.max(0, b.x), y = Math.max(0, b.y);
  return { x, y, width: Math.min(w, b.x + b.width) - x, height: Math.min(h, b.y + b.height) - y, score: b.score };
}
