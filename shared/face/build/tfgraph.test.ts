import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSession, runOne } from '../onnx.ts';
import { ensureHumanModel, HUMAN_MODELS, humanModelDir } from './human.ts';
import { loadTfGraph } from './tfgraph.ts';
import { WeightError } from './weights.ts';

/**
 * The TensorFlow.js graph converter against tfjs itself (the copy bundled in
 * @vladmandic/human, CPU backend) on the same input: the two small nets, every output within
 * 1e-5. (faceres, 13 MB, is held to the same in eval runs; measured 1.8e-6.)
 */
interface Tf {
  setBackend(n: string): Promise<boolean>;
  ready(): Promise<void>;
  tensor4d(v: Float32Array, s: number[]): unknown;
  io: { fromMemory(a: unknown): unknown };
  loadGraphModel(h: unknown): Promise<{ execute(x: unknown, out: string): { data(): Promise<Float32Array> } }>;
}

test('antispoof and liveness nets: ONNX gives tfjs\'s outputs', async () => {
  (globalThis as Record<string, unknown>).WorkerGlobalScope ??= class {};
  const tf = await import(pathToFileURL(join(humanModelDir(), '../dist/tfjs.esm.js')).href) as Tf;
  await tf.setBackend('cpu');
  await tf.ready();
  const dir = mkdtempSync(join(tmpdir(), 'tk-tfgraph-'));
  try {
    for (const name of ['liveness', 'antispoof'] as const) {
      const m = HUMAN_MODELS[name];
      const session = await openSession(ensureHumanModel(name, dir).file);
      const x = Float32Array.from({ length: m.size * m.size * 3 }, (_, i) => ((i * 7919) % 255) / 255);
      const out = await runOne(session, x, [1, m.size, m.size, 3]);
      await session.release();
      const json = JSON.parse(readFileSync(join(humanModelDir(), `${name}.json`), 'utf8')) as { modelTopology: unknown; weightsManifest: { weights: unknown }[] };
      const bin = readFileSync(join(humanModelDir(), `${name}.bin`));
      const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) }));
      const ref = await model.execute(tf.tensor4d(x, [1, m.size, m.size, 3]), m.output).data();
      assert.is(out.length, ref.length);
      for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(out[i]! - ref[i]!) < 1e-5, `${name}[${i}]: ${out[i]} vs ${ref[i]}`);
    }
    const again = ensureHumanModel('liveness', dir);
    assert.is(again.sha256, JSON.parse(readFileSync(join(dir, 'human-liveness.json'), 'utf8')).sha256, 'reused while its hash holds');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a model whose files do not match the pinned sha256 is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tk-tfgraph-pin-'));
  try {
    for (const f of ['liveness.json', 'liveness.bin']) cpSync(join(humanModelDir(), f), join(dir, f));
    assert.is(loadTfGraph(dir, HUMAN_MODELS.liveness.pin).weights.size > 0, true);
    writeFileSync(join(dir, 'liveness.bin'), Buffer.alloc(16));
    assert.throws(() => loadTfGraph(dir, HUMAN_MODELS.liveness.pin), (e: unknown) => e instanceof WeightError && e.code === 'weights_hash');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
