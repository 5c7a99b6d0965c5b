/**
 * calibrate:face — the same table as eval:face, on a site's own photos: a folder with one
 * folder per person (a ticket holder: the enrolment photo and frames the gate camera took of
 * them, JPEG/PNG/WebP), e.g. exported by staff who checked them.
 *
 *   npm run calibrate:face -- /path/to/pairs [--model-dir data/models] [--target-1to1 1e-4] [--target-1toN 1e-6]
 *
 * Prints false accepts and false rejects per threshold (1:1 and 1:N), the thresholds a normal
 * fit to this site's different-person distances gives for the targets, and those in use; the
 * last line on stdout is one JSON object. Put the chosen values in the gate config's `face`
 * (`threshold`, `thresholdOneToMany`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FaceImageError } from '../image.ts';
import { FacePipeline } from '../pipeline.ts';
import { FACE_MARGIN_1N, FACE_THRESHOLD, FACE_THRESHOLD_1N } from '../thresholds.ts';
import { chooseThreshold, formatTables, grid, oneToMany, oneToOne, pairs, type Labelled } from './metrics.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'model-dir': { type: 'string' }, 'target-1to1': { type: 'string', default: '1e-4' }, 'target-1toN': { type: 'string', default: '1e-6' }, margin: { type: 'string' } },
});
const dir = positionals[0];
if (!dir) {
  process.stderr.write('usage: npm run calibrate:face -- <folder with one folder of photos per person>\n');
  process.exit(2);
}
const log = (s: string) => process.stderr.write(`${s}\n`);
const margin = values.margin ? Number(values.margin) : FACE_MARGIN_1N;

const pipeline = await FacePipeline.open({ modelDir: values['model-dir'] });
const faces: Labelled[] = [];
const lost: string[] = [];
for (const person of readdirSync(dir).sort()) {
  const pdir = join(dir, person);
  if (!statSync(pdir).isDirectory()) continue;
  for (const file of readdirSync(pdir).sort()) {
    if (!/\.(jpe?g|png|webp)$/i.test(file)) continue;
    try {
      const a = await pipeline.analyse(readFileSync(join(pdir, file)));
      if (a.kind === 'face') faces.push({ id: `${person}/${file}`, person, embedding: a.embedding });
      else lost.push(`${person}/${file}: ${a.kind === 'poor_quality' ? a.issues.join('+') : a.kind}`);
    } catch (err) {
      if (!(err instanceof FaceImageError)) throw err;
      lost.push(`${person}/${file}: ${err.message}`);
    }
  }
}
await pipeline.close();
if (lost.length) log(`not used (${lost.length}): ${lost.join('; ')}`);
const p = pairs(faces);
if (p.same.length === 0 || p.diff.length === 0) {
  log(`${faces.length} faces: need at least one person with two photos and two people`);
  process.exit(1);
}
const sameD = p.same.map((x) => x.d), diffD = p.diff.map((x) => x.d);
const one = chooseThreshold(diffD, Number(values['target-1to1']));
const many = chooseThreshold(diffD, Number(values['target-1toN']));
const thresholds = grid(sameD, diffD, [one.threshold, many.threshold, FACE_THRESHOLD, FACE_THRESHOLD_1N]);
log(`model ${pipeline.model}: ${faces.length} faces of ${new Set(faces.map((f) => f.person)).size} people; ${p.same.length} same-person pairs, ${p.diff.length} different-person pairs`);
log(formatTables(oneToOne(p, thresholds), oneToMany(faces, thresholds, margin), { 'fit 1:1': one.threshold, 'fit 1:N': many.threshold, '1:1 in use': FACE_THRESHOLD, '1:N in use': FACE_THRESHOLD_1N }));
log(`normal fit: 1:1 ${one.threshold} (estimated FAR ${one.estimatedFar.toExponential(1)}), 1:N ${many.threshold} (${many.estimatedFar.toExponential(1)} per comparison)`);
const at1 = oneToOne(p, [FACE_THRESHOLD])[0]!, atN = oneToMany(faces, [FACE_THRESHOLD_1N], margin)[0]!;
process.stdout.write(`${JSON.stringify({
  model: pipeline.model, threshold_1to1: FACE_THRESHOLD, threshold_1toN: FACE_THRESHOLD_1N, fit_1to1: one.threshold, fit_1toN: many.threshold,
  far_1to1: at1.far.rate, frr_1to1: at1.frr.rate, far_1toN: atN.far.rate, frr_1toN: atN.frr.rate, pairs_same: p.same.length, pairs_diff: p.diff.length, not_used: lost.length,
})}\n`);
