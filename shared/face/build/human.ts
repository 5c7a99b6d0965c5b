import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DEFAULT_MODEL_DIR } from './build.ts';
import { loadTfGraph, tfGraphToOnnx, type GraphPin } from './tfgraph.ts';

/**
 * Nets that @vladmandic/human ships as TensorFlow.js graph models, converted to ONNX on first
 * use (or by `npm run build:face -- --all`) from the installed package, pinned by sha256.
 * Each records what it was made from beside it, and is rebuilt when that changes.
 */
export const HUMAN_MODELS = {
  /** HSE FaceRes (MobileNet, VGGFace2): a 1024-d face descriptor (plus age and gender heads, unused). */
  faceres: { pin: { name: 'faceres', json: '5b83d49c0385d2e68a05122441b94226313677cae9fcc40b9587ad50079eb4df', bin: '2c7d2d62b76c97528b736527aa09d310ea71743c9e3e79fb6c62d4b2d73af79b' }, input: 'input_1', size: 224, output: 'global_pooling/Mean', dims: [1, 1024] },
  /** A small CNN trained to tell real faces from fakes (128 x 128): 1 = real. */
  antispoof: { pin: { name: 'antispoof', json: '7fd698ae1cebabbcad79d3b8b448587b0365eb7911987418231bdcf36583112a', bin: '4490fecb2becdb6869edc7e60f5e59962be013a8def8719b1373afb0f905c094' }, input: 'conv2d_input', size: 128, output: 'Identity', dims: [1, 1] },
  /** LivenessNet (32 x 32): [fake, real] probabilities. */
  liveness: { pin: { name: 'liveness', json: '9e51c8acf83b80abbf329b2735309ab5c90611c66905ade8b1bd130d473df9c8', bin: 'fc6a6b6b3b9721bdb8bff67a457a15b7cbfd81715cfb27f3e65b757e81dd663e' }, input: 'conv2d_1_input', size: 32, output: 'Identity', dims: [1, 2] },
} as const satisfies Record<string, { pin: GraphPin; input: string; size: number; output: string; dims: number[] }>;
export type HumanModel = keyof typeof HUMAN_MODELS;

/** Bumped when the converter's output changes for the same source. */
export const GRAPH_CONVERTER_VERSION = 1;

export function humanModelDir(): string {
  // The package's exports map hides package.json; its main entry is in dist/.
  return join(dirname(dirname(createRequire(import.meta.url).resolve('@vladmandic/human'))), 'models');
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The ONNX file of one of human's nets, built into `dir` when absent or stale. */
export function ensureHumanModel(name: HumanModel, dir = DEFAULT_MODEL_DIR): { file: string; sha256: string; source: string } {
  const m = HUMAN_MODELS[name];
  const file = join(dir, `human-${name}.onnx`);
  const meta = join(dir, `human-${name}.json`);
  try {
    const had = JSON.parse(readFileSync(meta, 'utf8')) as { converter: number; source: string; sha256: string };
    if (had.converter === GRAPH_CONVERTER_VERSION && had.source === m.pin.bin && sha256(readFileSync(file)) === had.sha256) return { file, sha256: had.sha256, source: had.source };
  } catch { /* absent or unreadable: build */ }
  const bytes = tfGraphToOnnx(loadTfGraph(humanModelDir(), m.pin), {
    input: m.input, inputShape: [1, m.size, m.size, 3], output: m.output, outputDims: [...m.dims], name, doc: `${name}, converted from @vladmandic/human models/${name}.json`,
  });
  mkdirSync(dir, { recursive: true });
  const put = (path: string, data: Uint8Array | string) => { writeFileSync(`${path}.${process.pid}.tmp`, data); renameSync(`${path}.${process.pid}.tmp`, path); };
  const out = { file, sha256: sha256(bytes), source: m.pin.bin };
  put(file, bytes);
  put(meta, `${JSON.stringify({ converter: GRAPH_CONVERTER_VERSION, source: m.pin.bin, sha256: out.sha256 }, null, 2)}\n`);
  return out;
}
