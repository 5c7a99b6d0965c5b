import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseThreshold, estimatedFar, formatTables, grid, normalCdf, oneToMany, oneToOne, pairs, upper95, type Labelled } from './metrics.ts';

/** The scoring behind eval:face and calibrate:face, on embeddings whose distances are known. */
const at = (id: string, person: string, x: number, y = 0): Labelled => ({ id, person, embedding: Float32Array.from([x, y]) });
const items = [at('a1', 'a', 0), at('a2', 'a', 0.3), at('b1', 'b', 1), at('b2', 'b', 1.2), at('c1', 'c', 3)];

test('pairs, and 1:1 false accepts and rejects with their counts', () => {
  const p = pairs(items);
  assert.is(p.same.length, 2);
  assert.is(p.diff.length, 8);
  const [lo, mid, hi] = oneToOne(p, [0.1, 0.35, 0.75], 1);
  assert.equal(lo!.frr, { errors: 3, of: 3, rate: 1 }, 'both pairs and the lost image');
  assert.equal(mid!.frr.errors, 1, 'only the image with no face');
  assert.equal(mid!.far, { errors: 0, of: 8, rate: 0 });
  assert.is(hi!.far.errors, 1, 'a2~b1 at 0.7');
});

test('1:N: enrolled by the first image; genuine and impostor searches; the margin', () => {
  const [r] = oneToMany(items, [0.35], 0);
  // a2 and b2 are genuine searches (a1, b1 enrolled); each of the 5 images is an impostor search too.
  assert.is(r!.frr.of, 2);
  assert.is(r!.frr.errors, 0);
  assert.is(r!.far.of, 5);
  assert.is(r!.far.errors, 0);
  const [loose] = oneToMany(items, [0.75], 0);
  assert.is(loose!.far.errors, 1, 'a2 without a in the gallery finds b at 0.7');
  const [strict] = oneToMany(items, [0.75], 2.5); // the runner-up in a gallery of a1, b1, c1 is c1, 2.0 further
  assert.is(strict!.far.errors, 0, 'unless the runner-up must be far behind');
  assert.ok(formatTables(oneToOne(pairs(items), [0.35]), [r!], { 'in use': 0.35 }).includes('<- in use'));
});

test('thresholds from a normal fit: under the closest impostor and the target', () => {
  assert.ok(Math.abs(normalCdf(0, 0, 1) - 0.5) < 1e-7);
  assert.ok(Math.abs(normalCdf(-3.719, 0, 1) - 1e-4) < 2e-6, '1 in 10,000 at 3.72 sd');
  let s = 7;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const diff = Array.from({ length: 2000 }, () => 0.9 + 0.1 * Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd()));
  const c = chooseThreshold(diff, 1e-4);
  assert.ok(c.threshold > 0.5 && c.threshold < 0.6, String(c.threshold));
  assert.ok(c.estimatedFar <= 1e-4);
  assert.is(c.empiricalFalseAccepts, 0);
  assert.ok(estimatedFar(diff, c.threshold + 0.05) > 1e-4);
  assert.is(upper95(962).toFixed(4), '0.0031');
  const g = grid([0.2, 0.4], [0.6, 1], [0.545]);
  assert.ok(g.includes(0.545) && g[0] === 0.2 && g.at(-1)! >= 0.58);
});

test.run();
