import * as ort from 'onnxruntime-node';

export type Session = ort.InferenceSession;

/** One CPU session per model; threads default to the 2 cores a gate has. */
export function openSession(path: string | Uint8Array, threads = 2): Promise<Session> {
  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
  return typeof path === 'string' ? ort.InferenceSession.create(path, opts) : ort.InferenceSession.create(path, opts);
}

export async function runOne(session: Session, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) };
  const out = await session.run(feeds);
  const t = out[session.outputNames[0]!]!;
  const data = t.data as Float32Array;
  t.dispose();
  return data;
}
