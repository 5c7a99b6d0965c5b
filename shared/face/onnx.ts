import type * as Ort from 'onnxruntime-node';

export type Session = Ort.InferenceSession;
type OrtModule = typeof Ort;

let loaded: OrtModule | undefined;

/**
 * onnxruntime is loaded on first use, not when this module is imported: shared/ is imported
 * by every tier, and only the processes that run a model should pay for the native library.
 */
export async function ort(): Promise<OrtModule> {
  if (!loaded) {
    const m = await import('onnxruntime-node') as OrtModule & { default?: OrtModule };
    loaded = m.InferenceSession ? m : m.default!;
  }
  return loaded;
}

/**
 * One CPU session per model. One thread by default: the nets are small (a few ms each), and
 * ORT's worker threads spin and stall when the gate's two cores are busy with other work
 * (measured: the descriptor took 5 ms on one thread and 40 ms on two under heavy load).
 */
export async function openSession(path: string | Uint8Array, threads = 1): Promise<Session> {
  const o = await ort();
  const opts: Ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
  return typeof path === 'string' ? o.InferenceSession.create(path, opts) : o.InferenceSession.create(path, opts);
}

export async function runOne(session: Session, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const o = await ort();
  const feeds = { [session.inputNames[0]!]: new o.Tensor('float32', input, dims) };
  const out = await session.run(feeds);
  const t = out[session.outputNames[0]!]!;
  const data = t.data as Float32Array;
  for (const v of Object.values(out)) if (v !== t) v.dispose();
  t.dispose();
  return data;
}

/** Every output of one run, by name (models with several heads). */
export async function runAll(session: Session, input: Float32Array, dims: number[]): Promise<Record<string, Float32Array>> {
  const o = await ort();
  const out = await session.run({ [session.inputNames[0]!]: new o.Tensor('float32', input, dims) });
  const res: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(out)) {
    res[k] = v.data as Float32Array;
    v.dispose();
  }
  return res;
}
