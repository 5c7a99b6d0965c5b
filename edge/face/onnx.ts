import * as ort from 'onnxruntime-node';

export type Session = ort.InferenceSession;

/**
 * One CPU session per model. One thread by default: the nets are small (a few ms each), and
 * ORT's worker threads spin and stall when the gate's two cores are busy with other work
 * (measured: the descriptor took 5 ms on one thread and 40 ms on two under heavy load).
 */
export function openSession(path: string | Uint8Array, threads = 1): Promise<Session> {
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
