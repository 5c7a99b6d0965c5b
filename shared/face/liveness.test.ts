import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Point } from './align.ts';
import { fitHomography, LIVENESS_THRESHOLD, motionScore, planarResidual, project } from './liveness.ts';

/** Motion of a plane against motion of a face, on landmark sets whose geometry is known. */
let s = 3;
const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
// A face-like layout: jaw, brows, nose, eyes, mouth in the 68-point order, 100 px between the eyes.
const face: Point[] = Array.from({ length: 68 }, (_, i) => {
  if (i < 17) return { x: 100 + 200 * (i / 16), y: 150 + 120 * Math.sin((Math.PI * i) / 16) };
  if (i < 27) return { x: 120 + 16 * (i - 17), y: 110 };
  if (i < 36) return { x: 200 + (i < 31 ? 0 : (i - 33) * 10), y: i < 31 ? 130 + (i - 27) * 15 : 190 };
  if (i < 48) return { x: (i < 42 ? 150 : 250) + 20 * Math.cos((Math.PI * (i % 6)) / 3), y: 140 + 8 * Math.sin((Math.PI * (i % 6)) / 3) };
  return { x: 200 + 35 * Math.cos((Math.PI * (i - 48)) / 10), y: 230 + 12 * Math.sin((Math.PI * (i - 48)) / 10) };
});
const H = [1.05, 0.08, 12, -0.04, 0.97, -8, 0.0004, -0.0002, 1];
const jitter = (ps: Point[], px: number) => ps.map((p) => ({ x: p.x + (rnd() - 0.5) * px, y: p.y + (rnd() - 0.5) * px }));

test('a homography is recovered from 68 points; a plane moved by one has no residual', () => {
  const moved = face.map((p) => project(H, p));
  const fit = fitHomography(face, moved);
  for (let i = 0; i < 9; i++) assert.ok(Math.abs(fit[i]! - H[i]!) < 1e-6, `h${i}: ${fit[i]} vs ${H[i]}`);
  assert.ok(planarResidual(face, moved) < 1e-6);
});

test('a picture moved by hand stays under the threshold; a turning, blinking face goes over it', () => {
  // A picture: each frame a homography of the first, plus the landmark net's jitter (about 1 px).
  const picture = [face, ...[1, 2, 3].map((k) => jitter(face.map((p) => project([1 + 0.02 * k, 0.03, 5 * k, -0.02, 1, 3 * k, 0.0002 * k, 0, 1], p)), 1.5))];
  assert.ok(motionScore(picture) < LIVENESS_THRESHOLD, String(motionScore(picture)));
  // A head turning: the nose (27..35) moves against the cheeks, the far side of the jaw narrows; the eyes close once.
  const turned = face.map((p, i) => {
    const nose = i >= 27 && i <= 35 ? 14 : 0;
    const far = i < 8 ? (8 - i) * 2 : 0;
    const lid = (i >= 37 && i <= 38) || (i >= 43 && i <= 44) ? 6 : (i >= 40 && i <= 41) || (i >= 46 && i <= 47) ? -6 : 0;
    return { x: p.x + nose + far, y: p.y + lid };
  });
  assert.ok(motionScore([face, jitter(turned, 1.5)]) >= LIVENESS_THRESHOLD, String(motionScore([face, turned])));
  assert.is(motionScore([face]), 0, 'one frame says nothing');
});

test.run();
