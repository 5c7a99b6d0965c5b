import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { faceApiModelDir, SOURCES, type SourceName } from '../build/weights.ts';

/**
 * face-api itself, as the reference the converted models are held to: its ESM bundle (tfjs
 * included) on tfjs's pure-JS CPU backend. The bundle picks tfjs's Node platform when it sees
 * Node, and that platform needs `util`, which the browser bundle stubs out; declaring a worker
 * scope makes it take the browser platform instead, which only needs fetch and TextEncoder
 * (both in Node). Tests only: slow (about half a second per descriptor), but the original code.
 */
// The bundle has no types of its own worth importing here; the few calls used are typed below.
interface Tensor { dispose(): void; data(): Promise<Float32Array>; shape: number[] }
interface Tf {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  tensor4d(values: Float32Array, shape: [number, number, number, number]): Tensor;
  io: { decodeWeights(buffer: ArrayBuffer, specs: unknown[]): Record<string, unknown> };
}
interface Net { loadFromWeightMap(map: Record<string, unknown>): void }
export interface FaceApiReference {
  /** Raw net outputs for an NHWC float image (0..255) of the net's input size. */
  descriptor(nhwc: Float32Array, size: number): Promise<Float32Array>;
  detectorGrid(nhwc: Float32Array, size: number): Promise<{ data: Float32Array; shape: number[] }>;
  landmarks(nhwc: Float32Array, size: number): Promise<Float32Array>;
}

let loaded: Promise<FaceApiReference> | undefined;

export function faceApiReference(): Promise<FaceApiReference> {
  loaded ??= load();
  return loaded;
}

async function load(): Promise<FaceApiReference> {
  (globalThis as Record<string, unknown>).WorkerGlobalScope ??= class {};
  const pkg = dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json'));
  const faceapi = await import(pathToFileURL(join(pkg, 'dist/face-api.esm.js')).href) as {
    tf: Tf;
    nets: { faceRecognitionNet: Net & { forward(t: Tensor): Promise<Tensor> }; tinyFaceDetector: Net & { forward(t: Tensor, size: number): Promise<Tensor> }; faceLandmark68Net: Net & { forward(t: Tensor): Promise<Tensor> } };
  };
  const tf = faceapi.tf;
  await tf.setBackend('cpu');
  await tf.ready();
  const dir = faceApiModelDir();
  const weightMap = (k: SourceName) => {
    const name = SOURCES[k].name;
    const manifest = JSON.parse(readFileSync(join(dir, `${name}-weights_manifest.json`), 'utf8')) as { weights: unknown[] }[];
    const bin = readFileSync(join(dir, `${name}.bin`));
    return tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), manifest.flatMap((g) => g.weights));
  };
  faceapi.nets.faceRecognitionNet.loadFromWeightMap(weightMap('recognition'));
  faceapi.nets.tinyFaceDetector.loadFromWeightMap(weightMap('detector'));
  faceapi.nets.faceLandmark68Net.loadFromWeightMap(weightMap('landmarks'));
  const run = async (t: Tensor, f: (t: Tensor) => Promise<Tensor>) => {
    try {
      const out = await f(t);
      const data = await out.data();
      const shape = out.shape;
      out.dispose();
      return { data, shape };
    } finally {
      t.dispose();
    }
  };
  return {
    descriptor: async (x, size) => (await run(tf.tensor4d(x, [1, size, size, 3]), (t) => faceapi.nets.faceRecognitionNet.forward(t))).data,
    detectorGrid: (x, size) => run(tf.tensor4d(x, [1, size, size, 3]), (t) => faceapi.nets.tinyFaceDetector.forward(t, size)),
    landmarks: async (x, size) => (await run(tf.tensor4d(x, [1, size, size, 3]), (t) => faceapi.nets.faceLandmark68Net.forward(t))).data,
  };
}
