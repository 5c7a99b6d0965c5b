import type { Camera } from '../../hardware/camera/port.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { Point } from '../../shared/face/align.ts';
import { LIVENESS_THRESHOLD, motionScore } from '../../shared/face/liveness.ts';
import type { FaceHooks, FaceIdentity, FaceResult, FaceSource, FaceVerifier } from '../gate/face.ts';
import { distance } from '../../shared/face/embedder.ts';
import { FaceGallery } from './gallery.ts';
import { FaceImageError } from '../../shared/face/image.ts';
import type { FaceAnalyser } from '../../shared/face/pipeline.ts';

export interface GateFaceOptions {
  camera: Camera;
  pipeline: FaceAnalyser;
  threshold: number;
  thresholdOneToMany: number;
  marginOneToMany: number;
  log: Logger;
  now?: () => number;
  /** How often faces of expired tickets are deleted. */
  purgeIntervalMs?: number;
  /** Frames taken to find one good enough to judge (the visitor is asked to face the camera between them). */
  maxFrames?: number;
  /** Liveness: up to `frames` frames `intervalMs` apart, live at or above `threshold` (shared/face/liveness.ts). */
  liveness?: { frames: number; threshold: number; intervalMs: number };
  /** Waits between frames (injected so tests need not wait). */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_LIVENESS = { frames: 12, threshold: LIVENESS_THRESHOLD, intervalMs: 200 };

type Seen = { result: Exclude<FaceResult, 'match' | 'mismatch'> } | { embedding: Float32Array; landmarks: Point[] };

/**
 * The gate's face check: a camera frame through the same pipeline that made the enrolled
 * embedding, then 1:1 against the ticket's face or 1:N against every face this gate holds
 * (kept in memory, unsealed, only while the gate runs). Faces of another model never match:
 * a model change means re-enrolment.
 */
export class GateFaceVerifier implements FaceVerifier {
  private source: FaceSource | undefined;
  private readonly gallery: FaceGallery;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private hooks: FaceHooks | undefined;
  /** Landmarks of the face `identify` last found, where a liveness check goes on from. */
  private lastSeen: Point[] | undefined;

  constructor(private readonly opts: GateFaceOptions) {
    this.now = opts.now ?? Date.now;
    this.gallery = new FaceGallery(opts.pipeline.embedder.dims);
  }

  private get nowS(): number { return Math.floor(this.now() / 1000); }

  async start(source: FaceSource, hooks?: FaceHooks): Promise<void> {
    this.source = source;
    this.hooks = hooks;
    await this.opts.camera.start();
    this.reload();
    source.onFaces = (changes, reset) => {
      if (reset) return this.reload();
      for (const c of changes) {
        if (c.embedding && this.usable(c.model, c.embedding) && c.validUntil > this.nowS) this.gallery.set(c.ticketId, c.embedding);
        else this.gallery.remove(c.ticketId);
      }
    };
    this.timer = setInterval(() => this.purge(), this.opts.purgeIntervalMs ?? 3_600_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.source) this.source.onFaces = undefined;
    await this.opts.camera.stop();
    await this.gallery.close();
    await this.opts.pipeline.close();
  }

  /** Deletes expired faces from the store and the gallery. */
  purge(): void {
    for (const id of this.source?.purgeExpiredFaces(this.nowS) ?? []) this.gallery.remove(id);
  }

  /** Made by this gate's model (another model's descriptors are not comparable: re-enrol). */
  private usable(model: string, embedding: Float32Array): boolean {
    return model === this.opts.pipeline.model && embedding.length === this.opts.pipeline.embedder.dims;
  }

  private reload(): void {
    const source = this.source;
    if (!source) return;
    for (const id of source.purgeExpiredFaces(this.nowS)) this.gallery.remove(id);
    let n = 0;
    for (const f of source.faces(this.nowS)) {
      if (!this.usable(f.model, f.embedding)) continue;
      this.gallery.set(f.ticketId, f.embedding);
      n++;
    }
    this.opts.log.info({ faces: n, model: this.opts.pipeline.model }, 'face gallery loaded');
  }

  /** One frame through the pipeline. */
  private async frame(): Promise<Seen | { retry: true }> {
    let frame;
    try {
      frame = await this.opts.camera.capture();
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'camera capture failed');
      return { result: 'unavailable' };
    }
    try {
      const a = await this.opts.pipeline.analyse(frame.data);
      if (a.kind === 'face') return { embedding: a.embedding, landmarks: a.landmarks };
      if (a.kind === 'poor_quality') {
        this.opts.log.debug(() => ({ issues: a.issues }), 'face frame not usable');
        return { retry: true };
      }
      return { result: a.kind };
    } catch (err) {
      if (err instanceof FaceImageError) {
        this.opts.log.warn({ err: err.message }, 'camera frame unreadable');
        return { result: 'unavailable' };
      }
      throw err;
    }
  }

  /**
   * A frame good enough to judge: a face too small, blurred, turned away, with eyes closed, or
   * beside another face is not a refusal; the visitor is asked to face the camera and another
   * frame is taken, up to `maxFrames`. The last frame's outcome stands.
   */
  private async look(): Promise<Seen> {
    const max = this.opts.maxFrames ?? 4;
    let last: Seen = { result: 'no_face' };
    for (let i = 0; i < max; i++) {
      const seen = await this.frame();
      if ('embedding' in seen) return seen;
      if ('result' in seen && seen.result === 'unavailable') return seen;
      last = 'retry' in seen ? { result: 'no_face' } : seen;
      if (i + 1 < max) {
        this.hooks?.prompt({ id: 'face_adjust', message: '请正对镜头', messageEn: 'Please face the camera' });
        await this.sleep(150);
      }
    }
    return last;
  }

  private sleep(ms: number): Promise<void> {
    return this.opts.sleep ? this.opts.sleep(ms) : new Promise((r) => setTimeout(r, ms));
  }

  /**
   * Liveness: after the first good frame, more frames while the visitor turns the head; live
   * as soon as the landmarks stray from a plane's motion by the threshold. Every frame must
   * show a face (a picture taken away, or a face appearing in only some frames, is not live).
   */
  private async moving(first: Point[]): Promise<boolean> {
    const l = this.opts.liveness ?? DEFAULT_LIVENESS;
    this.hooks?.prompt({ id: 'face_turn', message: '请缓慢转头', messageEn: 'Please turn your head slowly' });
    const frames = [first];
    for (let i = 1; i < l.frames; i++) {
      await this.sleep(l.intervalMs);
      const seen = await this.frame();
      if (!('embedding' in seen)) {
        if ('retry' in seen) continue; // blurred by the turn: skip it
        return false;
      }
      frames.push(seen.landmarks);
      const score = motionScore(frames);
      if (score >= l.threshold) {
        this.opts.log.debug(() => ({ score, frames: frames.length }), 'face live');
        return true;
      }
    }
    this.opts.log.debug(() => ({ score: motionScore(frames), frames: frames.length }), 'face not live');
    return false;
  }

  async verify(request: { ticketId: string; credential: string; liveness?: boolean }): Promise<FaceResult> {
    const enrolled = this.source?.face(request.ticketId, this.nowS);
    // No face bound (or one of another model): it cannot be checked here; the staffed lane can.
    if (!enrolled || !this.usable(enrolled.model, enrolled.embedding)) return 'unavailable';
    const seen = await this.look();
    if ('result' in seen) return seen.result;
    const d = distance(seen.embedding, enrolled.embedding);
    this.opts.log.debug(() => ({ ticket: request.ticketId, distance: d }), 'face 1:1');
    if (d > this.opts.threshold) return 'mismatch';
    if (request.liveness && !(await this.moving(seen.landmarks))) return 'not_live';
    return 'match';
  }

  async identify(): Promise<FaceIdentity> {
    if (this.gallery.size === 0) return { result: 'unavailable' };
    const seen = await this.look();
    if ('result' in seen) return seen;
    const [best, second] = await this.gallery.search(seen.embedding);
    this.opts.log.debug(() => ({ best, second }), 'face 1:N');
    if (!best || best.distance > this.opts.thresholdOneToMany) return { result: 'mismatch' };
    if (second && second.distance - best.distance < this.opts.marginOneToMany) return { result: 'mismatch' };
    this.lastSeen = seen.landmarks;
    return { result: 'match', ticketId: best.id, distance: best.distance };
  }

  /** After `identify`, when the ticket's type asks for it: is the visitor in front of the camera live? */
  async live(): Promise<boolean> {
    const first = this.lastSeen;
    this.lastSeen = undefined;
    if (first) return this.moving(first);
    const seen = await this.look();
    return 'landmarks' in seen ? this.moving(seen.landmarks) : false;
  }
}
