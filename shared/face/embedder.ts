import type { ChipSpec } from './align.ts';
import { DLIB_CHIP } from './align.ts';
import { RECOGNITION_INPUT } from './build/nets.ts';
import { toNchw, toNhwc, type RgbImage } from './image.ts';
import { openSession, runOne, type Session } from './onnx.ts';

/**
 * Turns an aligned face chip into a descriptor. Another ONNX model (an ArcFace-style 512-d
 * net, say) implements this with its own chip geometry and id; descriptors of different
 * models are never compared: every stored embedding carries the id of the model that made it.
 */
export interface Embedder {
  readonly id: string;
  readonly dims: number;
  readonly chip: ChipSpec;
  embed(chip: RgbImage): Promise<Float32Array>;
  close(): Promise<void>;
}

/** The dlib ResNet (via face-api's weights): 150 x 150 dlib chips, 128-d, euclidean distance. */
export class DlibEmbedder implements Embedder {
  readonly dims = 128;
  readonly chip = DLIB_CHIP;
  private constructor(readonly id: string, private readonly session: Session) {}

  /** `sourceSha` is the sha256 of the weights the model was made from; its head goes into the id. */
  static async open(path: string, sourceSha: string, threads?: number): Promise<DlibEmbedder> {
    return new DlibEmbedder(`dlib-resnet-128@${sourceSha.slice(0, 12)}`, await openSession(path, threads));
  }

  async embed(chip: RgbImage): Promise<Float32Array> {
    if (chip.width !== RECOGNITION_INPUT || chip.height !== RECOGNITION_INPUT) throw new Error(`chip must be ${RECOGNITION_INPUT} x ${RECOGNITION_INPUT}`);
    return Float32Array.from(await runOne(this.session, toNchw(chip), [1, 3, RECOGNITION_INPUT, RECOGNITION_INPUT]));
  }

  close(): Promise<void> { return this.session.release(); }
}

export function distance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error('descriptors of different sizes');
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * HSE FaceRes (from @vladmandic/human, converted by build/human.ts): a 224 x 224 chip aligned
 * like dlib's but with more margin, RGB 0..255 NHWC, a 1024-d descriptor scaled to unit length.
 */
export class FaceResEmbedder implements Embedder {
  readonly dims = 1024;
  private constructor(readonly id: string, readonly chip: ChipSpec, private readonly session: Session) {}

  static async open(path: string, sourceSha: string, opts: { threads?: number; padding?: number } = {}): Promise<FaceResEmbedder> {
    return new FaceResEmbedder(`hse-faceres-1024@${sourceSha.slice(0, 12)}`, { size: 224, padding: opts.padding ?? 0.4 }, await openSession(path, opts.threads));
  }

  async embed(chip: RgbImage): Promise<Float32Array> {
    const v = Float32Array.from(await runOne(this.session, toNhwc(chip), [1, chip.height, chip.width, 3]));
    let n = 0;
    for (const x of v) n += x * x;
    n = Math.sqrt(n) || 1;
    for (let i = 0; i < v.length; i++) v[i]! /= n;
    return v;
  }

  close(): Promise<void> { return this.session.release(); }
}
