import type { Point } from './align.ts';
import { LANDMARKS_INPUT } from './build/nets.ts';
import type { FaceBox } from './detector.ts';
import { squareFrom, toNchw, type RgbImage } from './image.ts';
import { openSession, runOne, type Session } from './onnx.ts';

export interface Landmarker {
  readonly id: string;
  /** 68 points in image pixels for the face in `box`. */
  landmarks(img: RgbImage, box: FaceBox): Promise<Point[]>;
  close(): Promise<void>;
}

/**
 * face-api's 68-point landmark net. Its input is the face box padded to a square around its
 * centre (face-api pads the cut-out box the same way) at 112 x 112; it answers relative
 * positions in that square.
 */
export class Landmark68 implements Landmarker {
  readonly id = 'face-landmark-68';
  private constructor(private readonly session: Session) {}

  static async open(path: string, threads?: number): Promise<Landmark68> {
    return new Landmark68(await openSession(path, threads));
  }

  async landmarks(img: RgbImage, box: FaceBox): Promise<Point[]> {
    const side = Math.max(box.width, box.height);
    const left = box.x - (side - box.width) / 2;
    const top = box.y - (side - box.height) / 2;
    const square = await squareFrom(img, { left, top, side }, LANDMARKS_INPUT);
    const rel = await runOne(this.session, toNchw(square), [1, 3, LANDMARKS_INPUT, LANDMARKS_INPUT]);
    const s = Math.max(1, Math.round(side));
    const l = Math.round(left), t = Math.round(top);
    const points: Point[] = [];
    for (let i = 0; i < 68; i++) points.push({ x: l + rel[2 * i]! * s, y: t + rel[2 * i + 1]! * s });
    return points;
  }

  close(): Promise<void> { return this.session.release(); }
}
