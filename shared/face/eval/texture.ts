import { ensureHumanModel, HUMAN_MODELS } from '../build/human.ts';
import type { FaceBox } from '../detector.ts';
import { squareFrom, toNhwc, type RgbImage } from '../image.ts';
import { openSession, runOne, type Session } from '../onnx.ts';

/**
 * The single-frame presentation-attack nets that @vladmandic/human ships (anti-spoofing and
 * LivenessNet), run as human runs them: the face box, squared and widened a little, resized
 * to the net's input, RGB 0..1. Measured by eval:face against the art and masks of the set;
 * not used at the gate (see README for what they scored).
 */
export class TextureNet {
  private constructor(readonly name: 'antispoof' | 'liveness', private readonly session: Session, private readonly size: number) {}

  static async open(name: 'antispoof' | 'liveness'): Promise<TextureNet> {
    return new TextureNet(name, await openSession(ensureHumanModel(name).file), HUMAN_MODELS[name].size);
  }

  /** antispoof: its one output; liveness: the second of its two (the "real" class). */
  async score(img: RgbImage, box: FaceBox): Promise<number> {
    const side = Math.max(box.width, box.height) * 1.1;
    const crop = await squareFrom(img, { left: box.x + box.width / 2 - side / 2, top: box.y + box.height / 2 - side / 2, side }, this.size);
    const out = await runOne(this.session, toNhwc(crop, 1 / 255), [1, this.size, this.size, 3]);
    return this.name === 'antispoof' ? out[0]! : out[1]!;
  }

  close(): Promise<void> { return this.session.release(); }
}
