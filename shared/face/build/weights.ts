import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The TFJS weight files of `@vladmandic/face-api` that the ONNX models are made from. Their
 * sha256 are pinned: a different package version (or a tampered file) stops the build
 * instead of silently changing every descriptor, which would break enrolled faces.
 */
export const SOURCES = {
  recognition: {
    name: 'face_recognition_model',
    bin: 'b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589',
    manifest: 'cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b',
  },
  detector: {
    name: 'tiny_face_detector_model',
    bin: 'b7503ce7df31039b1c43316a9b865cab6a70dd748cc602d3fa28b551503c3871',
    manifest: '5d1af4849ac48d5b985f4a9b16010c512353ddd6fcc63d50fd0bc9e9e64296e5',
  },
  landmarks: {
    name: 'face_landmark_68_model',
    bin: '4611ef65c87d836d03d684b30eec4d195d8b219fa1dd58fc58945831c6b9299b',
    manifest: 'ca4886639f86e99b39fed0c155f81b63317225773bd9616716e887b0153389c9',
  },
} as const;
export type SourceName = keyof typeof SOURCES;

export interface Weight { shape: number[]; data: Float32Array }
export type WeightMap = Map<string, Weight>;

export class WeightError extends Error {
  constructor(readonly code: 'weights_missing' | 'weights_hash' | 'weights_format', message: string) {
    super(message);
  }
}

/** The folder of the installed package's weights. */
export function faceApiModelDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

function read(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new WeightError('weights_missing', `face model weights not found: ${path}`);
  }
}

/**
 * Reads one weight manifest and its binary, checks both hashes, and dequantizes the way
 * tfjs-core's `decodeWeights` does (value = q * scale + min, stored as float32).
 */
export function loadWeights(source: SourceName, dir = faceApiModelDir()): WeightMap {
  const pin = SOURCES[source];
  const manifestRaw = read(join(dir, `${pin.name}-weights_manifest.json`));
  const bin = read(join(dir, `${pin.name}.bin`));
  if (sha256(manifestRaw) !== pin.manifest) throw new WeightError('weights_hash', `${pin.name}-weights_manifest.json does not match its pinned sha256`);
  if (sha256(bin) !== pin.bin) throw new WeightError('weights_hash', `${pin.name}.bin does not match its pinned sha256`);
  const manifest = JSON.parse(manifestRaw.toString('utf8')) as { weights: ManifestWeight[] }[];
  const out: WeightMap = new Map();
  let offset = 0;
  for (const w of manifest.flatMap((g) => g.weights)) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (w.dtype !== 'float32') throw new WeightError('weights_format', `${w.name}: dtype ${w.dtype}`);
    const q = w.quantization;
    if (!q) {
      for (let i = 0; i < size; i++) data[i] = bin.readFloatLE(offset + 4 * i);
      offset += 4 * size;
    } else if (q.dtype === 'uint8') {
      for (let i = 0; i < size; i++) data[i] = bin[offset + i]! * q.scale! + q.min!;
      offset += size;
    } else {
      throw new WeightError('weights_format', `${w.name}: quantization ${q.dtype} is not supported`);
    }
    out.set(w.name, { shape: w.shape, data });
  }
  if (offset !== bin.length) throw new WeightError('weights_format', `${pin.name}.bin: ${bin.length} bytes, manifest describes ${offset}`);
  return out;
}
