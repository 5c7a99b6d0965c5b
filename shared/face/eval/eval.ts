/**
 * eval:face — false accepts and false rejects per threshold on the labelled evaluation set
 * (shared/face/eval/set.ts, DATA.md), for each descriptor model, and the thresholds chosen
 * from it. Progress and tables go to stderr; the last line on stdout is one JSON object.
 *
 * Targets: 1:1 (ticket or ID card, then face) at most 1 false accept in 10,000 pairs; 1:N
 * (face alone, against every face a gate holds) at most 1 in 1,000,000 per comparison, so a
 * gallery of 10,000 faces lets an impostor through at most about 1 time in 100, before the
 * margin to the runner-up and the liveness check.
 */
import { FacePipeline } from '../pipeline.ts';
import { FACE_MARGIN_1N } from '../thresholds.ts';
import { loadEvalSet } from './load.ts';
import { chooseThreshold, formatTables, grid, oneToMany, oneToOne, pairs, upper95, type Labelled } from './metrics.ts';
import { EVAL_SET } from './set.ts';

export const TARGET_FAR_1TO1 = 1e-4;
export const TARGET_FAR_1TON = 1e-6;

const log = (s: string) => process.stderr.write(`${s}\n`);

const images = await loadEvalSet(EVAL_SET);
log(`${images.length} images: ${images.filter((i) => i.kind === 'photo').length} photos, ${images.filter((i) => i.kind === 'frames').length} video frames, ${images.filter((i) => i.kind === 'spoof').length} presentation attacks`);

const pipeline = await FacePipeline.open();
const faces: Labelled[] = [];
const lost: string[] = [];
const kinds = new Map<string, string>();
for (const img of images.filter((i) => i.kind !== 'spoof')) {
  const a = await pipeline.analyse(img.jpeg);
  kinds.set(img.id, img.kind);
  if (a.kind === 'face') faces.push({ id: img.id, person: img.label, embedding: a.embedding });
  else lost.push(`${img.id}: ${a.kind}`);
}
if (lost.length) log(`no usable face in ${lost.length}: ${lost.join('; ')}`);

const p = pairs(faces);
const sameD = p.same.map((x) => x.d), diffD = p.diff.map((x) => x.d);
const photoPairs = p.same.filter((x) => kinds.get(x.a) === 'photo' && kinds.get(x.b) === 'photo');
const one = chooseThreshold(diffD, TARGET_FAR_1TO1);
const many = chooseThreshold(diffD, TARGET_FAR_1TON);
const thresholds = grid(sameD, diffD, [one.threshold, many.threshold]);
const table1 = oneToOne(p, thresholds);
const tableN = oneToMany(faces, thresholds, FACE_MARGIN_1N);
log('');
log(`model ${pipeline.model}: ${faces.length} faces of ${new Set(faces.map((f) => f.person)).size} people; ${p.same.length} same-person pairs (${photoPairs.length} of two different photos), ${p.diff.length} different-person pairs`);
log(formatTables(table1, tableN, { '1:1': one.threshold, '1:N': many.threshold }));
log('');
log(`same person, different photos: ${photoPairs.map((x) => `${x.a}~${x.b} ${x.d.toFixed(3)}`).join(', ')}`);
const closest = [...p.diff].sort((a, b) => a.d - b.d).slice(0, 3);
log(`closest different people: ${closest.map((x) => `${x.a}~${x.b} ${x.d.toFixed(3)}`).join(', ')}`);
log(`chosen 1:1 ${one.threshold} (estimated FAR ${one.estimatedFar.toExponential(1)}, target ${TARGET_FAR_1TO1}; with 0 of ${diffD.length} the 95 % bound is ${upper95(diffD.length).toExponential(1)})`);
log(`chosen 1:N ${many.threshold} (estimated FAR per comparison ${many.estimatedFar.toExponential(1)}, target ${TARGET_FAR_1TON})`);

const at1 = oneToOne(p, [one.threshold])[0]!;
const atN = oneToMany(faces, [many.threshold], FACE_MARGIN_1N)[0]!;
await pipeline.close();
process.stdout.write(`${JSON.stringify({
  model: pipeline.model,
  threshold_1to1: one.threshold, threshold_1toN: many.threshold, margin_1toN: FACE_MARGIN_1N,
  far_1to1: at1.far.rate, frr_1to1: at1.frr.rate, far_1toN: atN.far.rate, frr_1toN: atN.frr.rate,
  pairs_same: p.same.length, pairs_same_photos: photoPairs.length, pairs_diff: p.diff.length, no_face: lost.length,
})}\n`);
