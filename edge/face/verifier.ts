import type { Camera } from '../../hardware/camera/port.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { FaceIdentity, FaceResult, FaceSource, FaceVerifier } from '../gate/face.ts';
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
}

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

  constructor(private readonly opts: GateFaceOptions) {
    this.now = opts.now ?? Date.now;
    this.gallery = new FaceGallery(opts.pipeline.embedder.dims);
  }

  private get nowS(): number { return Math.floor(this.now() / 1000); }

  async start(source: FaceSource): Promise<void> {
    this.source = source;
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

  private async look(): Promise<{ result: Exclude<FaceResult, 'match' | 'mismatch'> } | { embedding: Float32Array }> {
    let frame;
    try {
      frame = await this.opts.camera.capture();
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'camera capture failed');
      return { result: 'unavailable' };
    }
    try {
      const a = await this.opts.pipeline.analyse(frame.data);
      if (a.kind === 'no_face') return { result: 'no_face' };
      if (a.kind === 'several_faces') return { result: 'several_faces' };
      return { embedding: a.embedding };
    } catch (err) {
      if (err instanceof FaceImageError) {
        this.opts.log.warn({ err: err.message }, 'camera frame unreadable');
        return { result: 'unavailable' };
      }
      throw err;
    }
  }

  async verify(request: { ticketId: string; credential: string }): Promise<FaceResult> {
    const enrolled = this.source?.face(request.ticketId, this.nowS);
    // No face bound (or one of another model): it cannot be checked here; the staffed lane can.
    if (!enrolled || !this.usable(enrolled.model, enrolled.embedding)) return 'unavailable';
    const seen = await this.look();
    if ('result' in seen) return seen.result;
    const d = distance(seen.embedding, enrolled.embedding);
    this.opts.log.debug(() => ({ ticket: request.ticketId, distance: d }), 'face 1:1');
    return d <= this.opts.threshold ? 'match' : 'mismatch';
  }

  async identify(): Promise<FaceIdentity> {
    if (this.gallery.size === 0) return { result: 'unavailable' };
    const seen = await this.look();
    if ('result' in seen) return seen;
    const [best, second] = await this.gallery.search(seen.embedding);
    this.opts.log.debug(() => ({ best, second }), 'face 1:N');
    if (!best || best.distance > this.opts.thresholdOneToMany) return { result: 'mismatch' };
    if (second && second.distance - best.distance < this.opts.marginOneToMany) return { result: 'mismatch' };
    return { result: 'match', ticketId: best.id, distance: best.distance };
  }
}
