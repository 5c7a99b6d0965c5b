import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { detectorNet, landmarksNet, recognitionNet } from './nets.ts';
import { faceApiModelDir, loadWeights, SOURCES, type SourceName } from './weights.ts';

/**
 * Makes the ONNX files from the pinned face-api weights, into a git-ignored folder. Nothing is
 * downloaded: the weights come with the npm package. A folder that already holds files made
 * by this converter version from the same source hashes is used as it is.
 */
export const CONVERTER_VERSION = 1;
export const DEFAULT_MODEL_DIR = resolve(new URL('../../..', import.meta.url).pathname, 'data/models');

export interface BuiltModel { file: string; sha256: string; source: string }
export interface FaceModelFiles { dir: string; recognition: string; detector: string; landmarks: string; manifest: Record<SourceName, BuiltModel> }

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const BUILDERS = { recognition: recognitionNet, detector: detectorNet, landmarks: landmarksNet } as const;
const FILES: Record<SourceName, string> = { recognition: 'face-recognition.onnx', detector: 'face-detector.onnx', landmarks: 'face-landmarks.onnx' };

function current(dir: string): Record<SourceName, BuiltModel> | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'face-models.json'), 'utf8')) as { converter: number; models: Record<SourceName, BuiltModel> };
    if (m.converter !== CONVERTER_VERSION) return undefined;
    for (const k of Object.keys(FILES) as SourceName[]) {
      const e = m.models[k];
      if (!e || e.source !== SOURCES[k].bin || e.file !== FILES[k] || sha256(readFileSync(join(dir, e.file))) !== e.sha256) return undefined;
    }
    return m.models;
  } catch {
    return undefined;
  }
}

/** Atomic write: parallel test processes may build at the same time; each rename is whole. */
function put(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function buildFaceModels(dir = DEFAULT_MODEL_DIR, weightsDir = faceApiModelDir()): FaceModelFiles {
  mkdirSync(dir, { recursive: true });
  const models = {} as Record<SourceName, BuiltModel>;
  for (const k of Object.keys(FILES) as SourceName[]) {
    const bytes = BUILDERS[k](loadWeights(k, weightsDir));
    put(join(dir, FILES[k]), bytes);
    models[k] = { file: FILES[k], sha256: sha256(bytes), source: SOURCES[k].bin };
  }
  put(join(dir, 'face-models.json'), `${JSON.stringify({ converter: CONVERTER_VERSION, models }, null, 2)}\n`);
  return files(dir, models);
}

function files(dir: string, manifest: Record<SourceName, BuiltModel>): FaceModelFiles {
  return { dir, recognition: join(dir, FILES.recognition), detector: join(dir, FILES.detector), landmarks: join(dir, FILES.landmarks), manifest };
}

/** The model files, built first when absent or stale. */
export function ensureFaceModels(dir = DEFAULT_MODEL_DIR): FaceModelFiles {
  const m = current(dir);
  return m ? files(dir, m) : buildFaceModels(dir);
}

if (process.argv[1] && resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const force = process.argv.includes('--force');
  const dir = process.argv.find((a, i) => i > 1 && !a.startsWith('--')) ?? DEFAULT_MODEL_DIR;
  const t0 = Date.now();
  const out = force ? buildFaceModels(dir) : ensureFaceModels(dir);
  // --all: also the nets of @vladmandic/human that eval:face compares (not used at the gate).
  const human = process.argv.includes('--all') ? await import('./human.ts') : undefined;
  const extra = human ? Object.fromEntries(Object.keys(human.HUMAN_MODELS).map((k) => [k, human.ensureHumanModel(k as keyof typeof human.HUMAN_MODELS, dir)])) : {};
  process.stdout.write(`${JSON.stringify({ dir: out.dir, ms: Date.now() - t0, models: { ...out.manifest, ...extra } })}\n`);
}
