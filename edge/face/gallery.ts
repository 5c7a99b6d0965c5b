import type * as Ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { openSession, ort, type Session } from '../../shared/face/onnx.ts';

const { onnx } = onnxProto;

export interface GalleryHit { id: string; distance: number }

/** A compiled index; released once replaced and no search is running on it. */
interface Index { session: Session; size: number; ids: string[]; removed: Set<string>; running: number; retired: boolean }

function done(index: Index): void {
  index.running--;
  if (index.retired && index.running === 0) void index.session.release();
}

/** Below this many faces a plain scan is quicker than a model run. */
const INDEX_MIN = 4096;
/** Candidates the index returns; they are re-ranked on the exact float32 vectors. */
const CANDIDATES = 8;

/**
 * 1:N search over enrolled embeddings (one model's, all the same length). Vectors sit in one
 * Float32Array. Small galleries are scanned; a large one is compiled into an ONNX graph that
 * holds the gallery as a constant (one GEMV through onnxruntime's MLAS kernels, then TopK):
 * faces added since are scanned beside it, removed ones skipped, and the index is rebuilt
 * when either grows. Results are always exact: candidates are re-ranked on the stored vectors.
 */
export class FaceGallery {
  private vectors: Float32Array;
  private ids: string[] = [];
  private readonly slots = new Map<string, number>();
  private index: Index | undefined;
  private building: Promise<void> | undefined;
  /** Slots at or after this were added after the index was built: scanned. */
  private indexedUpTo = 0;

  constructor(readonly dims: number, capacity = 1024, private readonly threads = 1) {
    this.vectors = new Float32Array(dims * capacity);
  }

  get size(): number { return this.ids.length; }

  has(id: string): boolean { return this.slots.has(id); }

  set(id: string, v: Float32Array): void {
    if (v.length !== this.dims) throw new Error(`embedding of ${v.length}, gallery of ${this.dims}`);
    const slot = this.slots.get(id);
    if (slot !== undefined) {
      // Changed in place: the index no longer knows this vector; scan it and skip the old one.
      this.remove(id);
    }
    if ((this.ids.length + 1) * this.dims > this.vectors.length) {
      const grown = new Float32Array(this.vectors.length * 2);
      grown.set(this.vectors);
      this.vectors = grown;
    }
    const at = this.ids.length;
    this.vectors.set(v, at * this.dims);
    this.ids.push(id);
    this.slots.set(id, at);
  }

  remove(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    const last = this.ids.length - 1;
    if (this.index && slot < this.indexedUpTo) this.index.removed.add(id);
    if (slot !== last) {
      const moved = this.ids[last]!;
      this.vectors.copyWithin(slot * this.dims, last * this.dims, (last + 1) * this.dims);
      this.ids[slot] = moved;
      this.slots.set(moved, slot);
      // A vector moved below the indexed range from above it would be missed by both: scan from here on.
      if (slot < this.indexedUpTo && last >= this.indexedUpTo) this.indexedUpTo = slot;
    }
    this.ids.pop();
    this.slots.delete(id);
    if (this.indexedUpTo > this.ids.length) this.indexedUpTo = this.ids.length;
  }

  private dist2(slot: number, q: Float32Array): number {
    const o = slot * this.dims;
    let s = 0;
    for (let k = 0; k < this.dims; k++) {
      const d = this.vectors[o + k]! - q[k]!;
      s += d * d;
    }
    return s;
  }

  /** The nearest two faces (the second tells how ambiguous the first is). */
  async search(q: Float32Array): Promise<GalleryHit[]> {
    if (q.length !== this.dims) throw new Error(`query of ${q.length}, gallery of ${this.dims}`);
    const best: { slot: number; d: number }[] = [];
    const consider = (slot: number) => {
      if (best.some((b) => b.slot === slot)) return;
      const d = this.dist2(slot, q);
      if (best.length < 2 || d < best[best.length - 1]!.d) {
        best.push({ slot, d });
        best.sort((a, b) => a.d - b.d);
        if (best.length > 2) best.pop();
      }
    };
    const index = this.index;
    let from = 0;
    if (index) {
      index.running++;
      let out: Ort.InferenceSession.ReturnType;
      const o = await ort();
      try {
        out = await index.session.run({ q: new o.Tensor('float32', q, [1, this.dims]) });
      } finally {
        done(index);
      }
      const idx = out.indices!.data as BigInt64Array;
      let live = 0;
      for (const i of idx) {
        const id = index.ids[Number(i)]!;
        if (index.removed.has(id)) continue;
        const slot = this.slots.get(id);
        if (slot !== undefined) {
          live++;
          consider(slot);
        }
      }
      for (const t of Object.values(out)) t.dispose();
      // Every candidate was removed since: fall back to a full scan rather than miss someone.
      from = live > 0 ? this.indexedUpTo : 0;
      if (live === 0) for (let s = 0; s < this.indexedUpTo; s++) consider(s);
    }
    for (let s = from; s < this.ids.length; s++) consider(s);
    if (this.needsIndex()) void this.rebuild();
    return best.map((b) => ({ id: this.ids[b.slot]!, distance: Math.sqrt(b.d) }));
  }

  private needsIndex(): boolean {
    if (this.ids.length < INDEX_MIN || this.building) return false;
    if (!this.index) return true;
    const unindexed = this.ids.length - this.indexedUpTo;
    return unindexed > 2048 || this.index.removed.size > this.index.size / 4;
  }

  /** Compiles the index now (otherwise it is compiled in the background when needed). */
  async rebuild(): Promise<void> {
    if (this.building) return this.building;
    this.building = (async () => {
      const n = this.ids.length;
      if (n < INDEX_MIN) return;
      const ids = this.ids.slice(0, n);
      const session = await openSession(this.graph(n), this.threads);
      const old = this.index;
      // Slots may have moved while building: map the index by id; anything it does not know is scanned.
      const removed = new Set<string>();
      let upTo = n;
      for (let s = 0; s < n && s < this.ids.length; s++) if (this.ids[s] !== ids[s]) { upTo = s; break; }
      for (const id of ids) if (!this.slots.has(id)) removed.add(id);
      this.index = { session, size: n, ids, removed, running: 0, retired: false };
      this.indexedUpTo = Math.min(upTo, this.ids.length);
      if (old) {
        old.retired = true;
        old.running++;
        done(old);
      }
    })().finally(() => { this.building = undefined; });
    return this.building;
  }

  /** score = |g|^2 - 2 g.q (the query's own norm does not change the order), then the k smallest. */
  private graph(n: number): Uint8Array {
    const d = this.dims;
    const gt = new Float32Array(d * n);
    const norms = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const v = this.vectors[i * d + k]!;
        gt[k * n + i] = -2 * v;
        s += v * v;
      }
      norms[i] = s;
    }
    const f32 = (name: string, dims: number[], data: Float32Array) => onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    const vi = (name: string, dims: number[], t: number) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: t, shape: { dim: dims.map((v) => ({ dimValue: v })) } } } });
    const k = Math.min(CANDIDATES, n);
    const model = onnx.ModelProto.create({
      irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'face_gallery',
        initializer: [f32('gt', [d, n], gt), f32('norms', [1, n], norms),
          onnx.TensorProto.create({ name: 'k', dims: [1], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(new BigInt64Array([BigInt(k)]).buffer) })],
        node: [
          onnx.NodeProto.create({ opType: 'MatMul', input: ['q', 'gt'], output: ['dots'] }),
          onnx.NodeProto.create({ opType: 'Add', input: ['dots', 'norms'], output: ['scores'] }),
          onnx.NodeProto.create({ opType: 'TopK', input: ['scores', 'k'], output: ['values', 'indices'], attribute: [
            onnx.AttributeProto.create({ name: 'largest', type: onnx.AttributeProto.AttributeType.INT, i: 0 }),
            onnx.AttributeProto.create({ name: 'sorted', type: onnx.AttributeProto.AttributeType.INT, i: 1 }),
          ] }),
        ],
        input: [vi('q', [1, d], onnx.TensorProto.DataType.FLOAT)],
        output: [vi('values', [1, k], onnx.TensorProto.DataType.FLOAT), vi('indices', [1, k], onnx.TensorProto.DataType.INT64)],
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  async close(): Promise<void> {
    await this.building?.catch(() => undefined);
    const index = this.index;
    this.index = undefined;
    if (index) {
      index.retired = true;
      index.running++;
      done(index);
    }
  }
}
