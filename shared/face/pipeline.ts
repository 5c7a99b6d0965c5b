import { performance } from 'node:perf_hooks';
import { DLIB_CHIP, extractChip, type Point } from './align.ts';
import { ensureFaceModels } from './build/build.ts';
import { TinyFaceDetector, type Detector, type FaceBox } from './detector.ts';
import { DlibEmbedder, type Embedder } from './embedder.ts';
import { decodeImage, type RgbImage } from './image.ts';
import { Landmark68, type Landmarker } from './landmarks.ts';
import { DEFAULT_QUALITY, issues, measure, type FaceQuality, type QualityIssue, type QualityLimits } from './quality.ts';

export type FaceAnalysis =
  | { kind: 'face'; embedding: Float32Array; model: string; box: FaceBox; landmarks: Point[]; quality: FaceQuality; timings: Timings }
  /** A face, but not one to judge by (too small, blurred, turned away, eyes closed): ask for another frame. */
  | { kind: 'poor_quality'; issues: QualityIssue[]; box: FaceBox; landmarks: Point[]; quality: FaceQuality; timings: Timings }
  | { kind: 'no_face'; timings: Timings }
  | { kind: 'several_faces'; count: number; timings: Timings };

/** Detections narrower than this are not someone at the camera (a poster, people far behind). */
const MIN_DETECTED_WIDTH = 20;
/** Quality is measured on a dlib-style chip whatever the descriptor's own chip, so its limits hold for every model. */
const QUALITY_CHIP = DLIB_CHIP;

/** What the gate's verifier needs of a pipeline (the real one, or a stand-in in unit tests). */
export interface FaceAnalyser {
  readonly model: string;
  readonly embedder: { readonly dims: number };
  analyse(input: Buffer): Promise<FaceAnalysis>;
  close(): Promise<void>;
}

export interface Timings { decodeMs: number; detectMs: number; landmarksMs: number; chipMs: number; embedMs: number }

export interface PipelineOptions {
  /** A face narrower than this many pixels is too small to judge (too far away): `poor_quality`. */
  minFaceWidth?: number;
  /** Quality limits (quality.ts); `false` judges every face found, whatever its quality. */
  quality?: Partial<QualityLimits> | false;
  /**
   * Faces narrower than this share of the largest one are people further back in the queue and
   * are ignored; two faces above it are "several faces".
   */
  secondFaceRatio?: number;
}

/**
 * Image -> detection -> 68 landmarks -> dlib-style aligned chip -> embedding. One instance
 * serves enrolment (HQ, the window) and the gate, so a descriptor is made the same way
 * wherever it is made: a different crop or resize moves it far enough to break matching.
 */
export class FacePipeline implements FaceAnalyser {
  private readonly secondFaceRatio: number;
  private readonly quality: QualityLimits | false;

  constructor(readonly detector: Detector, readonly landmarker: Landmarker, readonly embedder: Embedder, opts: PipelineOptions = {}) {
    this.secondFaceRatio = opts.secondFaceRatio ?? 0.6;
    this.quality = opts.quality === false ? false : { ...DEFAULT_QUALITY, ...opts.quality, ...(opts.minFaceWidth ? { minFaceWidth: opts.minFaceWidth } : {}) };
  }

  /** The converted face-api models, built into `dir` first if they are not there yet. */
  static async open(opts: PipelineOptions & { modelDir?: string; threads?: number; scoreThreshold?: number } = {}): Promise<FacePipeline> {
    const files = ensureFaceModels(opts.modelDir);
    const [detector, landmarker, embedder] = await Promise.all([
      TinyFaceDetector.open(files.detector, { threads: opts.threads, scoreThreshold: opts.scoreThreshold }),
      Landmark68.open(files.landmarks, opts.threads),
      DlibEmbedder.open(files.recognition, files.manifest.recognition.source, opts.threads),
    ]);
    return new FacePipeline(detector, landmarker, embedder, opts);
  }

  get model(): string { return this.embedder.id; }

  /** Faces that count: big enough to be someone at the camera, and not far behind the nearest one. */
  faces(boxes: FaceBox[]): FaceBox[] {
    const big = boxes.filter((b) => b.width >= MIN_DETECTED_WIDTH);
    const widest = Math.max(0, ...big.map((b) => b.width));
    return big.filter((b) => b.width >= widest * this.secondFaceRatio).sort((a, b) => b.width - a.width);
  }

  /** Throws FaceImageError (code `bad_image`) for bytes that are not an image. */
  async analyse(input: Buffer | RgbImage): Promise<FaceAnalysis> {
    const t0 = performance.now();
    const img = Buffer.isBuffer(input) ? await decodeImage(input) : input;
    const t1 = performance.now();
    let faces = this.faces(await this.detector.detect(img));
    if (faces.length === 0) faces = this.faces(await this.detector.detect(img, { zoomOut: 2 }));
    const t2 = performance.now();
    const timings: Timings = { decodeMs: t1 - t0, detectMs: t2 - t1, landmarksMs: 0, chipMs: 0, embedMs: 0 };
    if (faces.length === 0) return { kind: 'no_face', timings };
    if (faces.length > 1) return { kind: 'several_faces', count: faces.length, timings };
    const box = faces[0]!;
    const landmarks = await this.landmarker.landmarks(img, box);
    const t3 = performance.now();
    const chip = await extractChip(img, landmarks, this.embedder.chip);
    const t4 = performance.now();
    const quality = measure(landmarks, this.embedder.chip === QUALITY_CHIP ? chip : await extractChip(img, landmarks, QUALITY_CHIP), box.width);
    const poor = this.quality ? issues(quality, this.quality) : [];
    if (poor.length) {
      Object.assign(timings, { landmarksMs: t3 - t2, chipMs: t4 - t3 });
      return { kind: 'poor_quality', issues: poor, box, landmarks, quality, timings };
    }
    const embedding = await this.embedder.embed(chip);
    const t5 = performance.now();
    Object.assign(timings, { landmarksMs: t3 - t2, chipMs: t4 - t3, embedMs: t5 - t4 });
    return { kind: 'face', embedding, model: this.embedder.id, box, landmarks, quality, timings };
  }

  async close(): Promise<void> {
    await Promise.all([this.detector.close(), this.landmarker.close(), this.embedder.close()]);
  }
}
