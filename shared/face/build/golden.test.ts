import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { extractChip } from '../align.ts';
import { decodeImage, squareFrom, toNchw, type RgbImage } from '../image.ts';
import { openSession, runOne } from '../onnx.ts';
import { FacePipeline } from '../pipeline.ts';
import { faceApiReference } from '../testing/reference.ts';
import { readDemoPhoto } from '../testing/samples.ts';
import { ensureFaceModels } from './build.ts';
import { DETECTOR_INPUT, LANDMARKS_INPUT, RECOGNITION_INPUT } from './nets.ts';
import { loadWeights, WeightError } from './weights.ts';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faceApiModelDir } from './weights.ts';

/**
 * The converted ONNX models against face-api itself (tfjs, CPU backend) on the same input
 * tensors, cut from the demo photos by the pipeline: every output within 1e-5 (the detector's
 * logits, which run up to ~40, within 1e-5 relative).
 */
const TOLERANCE = 1e-5;

const nhwc = (img: RgbImage) => Float32Array.from(img.data);

function maxDiff(a: Float32Array, b: Float32Array, relative = false): number {
  assert.is(a.length, b.length, 'same output size');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / (relative ? Math.max(1, Math.abs(b[i]!)) : 1));
  return m;
}

/** NCHW [1, C, H, W] as NHWC, to compare with tfjs. */
function toNhwc(x: Float32Array, c: number, hw: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < hw; i++) out[i * c + ch] = x[ch * hw + i]!;
  return out;
}

test('the ONNX nets give face-api\'s outputs on real faces (1e-5)', async () => {
  const files = ensureFaceModels();
  const ref = await faceApiReference();
  const pipeline = await FacePipeline.open();
  const [rec, det, lmk] = await Promise.all([openSession(files.recognition), openSession(files.detector), openSession(files.landmarks)]);
  try {
    let faces = 0;
    for (const name of ['sample2.jpg', 'sample5.jpg']) {
      const img = await decodeImage(readDemoPhoto(name));
      const side = Math.max(img.width, img.height);
      const detIn = await squareFrom(img, { left: 0, top: 0, side }, DETECTOR_INPUT);
      const grid = await runOne(det, toNchw(detIn), [1, 3, DETECTOR_INPUT, DETECTOR_INPUT]);
      const refGrid = await ref.detectorGrid(nhwc(detIn), DETECTOR_INPUT);
      const cells = refGrid.shape[1]!;
      const d = maxDiff(toNhwc(grid, 25, cells * cells), refGrid.data, true);
      assert.ok(d <= TOLERANCE, `${name} detector: ${d}`);

      const boxes = pipeline.faces(await pipeline.detector.detect(img)).slice(0, 2);
      assert.ok(boxes.length > 0, `${name}: faces found`);
      for (const box of boxes) {
        const s = Math.max(box.width, box.height);
        const lmIn = await squareFrom(img, { left: box.x - (s - box.width) / 2, top: box.y - (s - box.height) / 2, side: s }, LANDMARKS_INPUT);
        const lm = await runOne(lmk, toNchw(lmIn), [1, 3, LANDMARKS_INPUT, LANDMARKS_INPUT]);
        const dl = maxDiff(lm, await ref.landmarks(nhwc(lmIn), LANDMARKS_INPUT));
        assert.ok(dl <= TOLERANCE, `${name} landmarks: ${dl}`);

        const chip = await extractChip(img, await pipeline.landmarker.landmarks(img, box));
        const desc = await runOne(rec, toNchw(chip), [1, 3, RECOGNITION_INPUT, RECOGNITION_INPUT]);
        const refDesc = await ref.descriptor(nhwc(chip), RECOGNITION_INPUT);
        const dd = maxDiff(desc, refDesc);
        assert.ok(dd <= TOLERANCE, `${name} descriptor: ${dd}`);
        faces++;
      }
    }
    assert.ok(faces >= 3, `${faces} faces compared`);
  } finally {
    await Promise.all([rec.release(), det.release(), lmk.release(), pipeline.close()]);
  }
});

test('weights that do not match their pinned sha256 stop the build', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tk-face-weights-'));
  try {
    cpSync(faceApiModelDir(), dir, { recursive: true });
    const bin = join(dir, 'face_landmark_68_model.bin');
    writeFileSync(bin, Buffer.alloc(1000, 1));
    assert.throws(() => loadWeights('landmarks', dir), (e: unknown) => e instanceof WeightError && e.code === 'weights_hash');
    rmSync(bin);
    assert.throws(() => loadWeights('landmarks', dir), (e: unknown) => e instanceof WeightError && e.code === 'weights_missing');
    assert.is(loadWeights('detector', dir).get('conv0/filters')!.shape.join('x'), '3x3x3x16');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('built models are reused while their hashes hold, rebuilt when a file changed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tk-face-models-'));
  try {
    const a = ensureFaceModels(dir);
    const b = ensureFaceModels(dir);
    assert.equal(b.manifest, a.manifest);
    writeFileSync(a.detector, 'garbage');
    const c = ensureFaceModels(dir);
    assert.is(c.manifest.detector.sha256, a.manifest.detector.sha256, 'rebuilt to the same bytes (deterministic)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
