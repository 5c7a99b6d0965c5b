import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FACE_THRESHOLD, FACE_THRESHOLD_1N } from './thresholds.ts';
import { distance } from './embedder.ts';
import { FacePipeline } from './pipeline.ts';
import { portraits, variants } from './testing/samples.ts';

/**
 * The pipeline's own noise at the configured thresholds (the thresholds themselves come from
 * eval:face on genuinely different photos; see thresholds.ts), on the faces of face-api's demo photos (17 or so
 * people, each cut out as a portrait with the others greyed out) and sharp-made variants of
 * each (darker, brighter, JPEG q25, rotated 8 degrees, scaled 0.6x and 1.5x).
 *
 * Measured when calibrating (the variants of the same photo are easier than a second photo
 * of the person would be, so this bounds the pipeline's own noise, not real-world FRR):
 * variants of one photo 0.06..0.18 (0.43 for the woman seen in two photos), different
 * people from 0.536 up (two East Asian women; the evaluation set's closest is 0.605, which is
 * why the thresholds are held below what its European faces alone would allow): at 0.50 no
 * false accept among ~1200 different-person pairs, 1 of 68 probes lost to the detector.
 * face-api's 0.6 accepted 65 of them.
 *
 * Bounds: false accepts 0 at the 1:1 threshold; false rejects (a mismatch or no face found)
 * at most 5 % of the same-person probes; at least 12 people enrolled.
 */
const MAX_FRR = 0.05;
/** Two faces of the demo photos that are one woman (by eye, and 0.417 apart): one person here. */
const SAME = new Map([['sample3#1', 'sample1#2']]);
const who = (person: string) => SAME.get(person) ?? person;

test(`variants of one photo accepted, different people refused at ${FACE_THRESHOLD}`, async () => {
  // Quality limits off: this measures the descriptor's own noise (a frame of poor quality is retaken at the gate).
  const pipeline = await FacePipeline.open({ quality: false });
  try {
    const enrolled: { person: string; e: Float32Array }[] = [];
    const probes: { person: string; name: string; e: Float32Array | null }[] = [];
    for (const p of await portraits(pipeline)) {
      const a = await pipeline.analyse(p.jpeg);
      if (a.kind !== 'face') continue; // the detector found nobody in this cut-out: not enrolled
      enrolled.push({ person: who(p.person), e: a.embedding });
      for (const v of (await variants(p)).filter((x) => ['darker', 'jpeg-q25', 'rotate+8', 'scale-0.6'].includes(x.name))) {
        const r = await pipeline.analyse(v.jpeg);
        probes.push({ person: who(v.person), name: v.name, e: r.kind === 'face' ? r.embedding : null });
      }
    }
    const same: number[] = [];
    const diff: number[] = [];
    let lost = 0;
    for (const pr of probes) {
      if (!pr.e) { lost++; continue; }
      for (const en of enrolled) (pr.person === en.person ? same : diff).push(distance(pr.e, en.e));
    }
    for (let i = 0; i < enrolled.length; i++) for (let j = i + 1; j < enrolled.length; j++) (enrolled[i]!.person === enrolled[j]!.person ? same : diff).push(distance(enrolled[i]!.e, enrolled[j]!.e));
    const falseAccepts = diff.filter((d) => d <= FACE_THRESHOLD).length;
    const falseAccepts1N = diff.filter((d) => d <= FACE_THRESHOLD_1N).length;
    const falseRejects = same.filter((d) => d > FACE_THRESHOLD).length + lost;
    const report = {
      people: enrolled.length, sameProbes: probes.length, differentPairs: diff.length, threshold: FACE_THRESHOLD,
      falseAccepts, falseAccepts1N, falseRejects, lostToDetector: lost,
      sameMax: +Math.max(...same).toFixed(3), differentMin: +Math.min(...diff).toFixed(3),
      at06: { falseAccepts: diff.filter((d) => d <= 0.6).length },
    };
    process.stdout.write(`calibration ${JSON.stringify(report)}\n`);
    assert.ok(enrolled.length >= 12, `${enrolled.length} people enrolled`);
    assert.ok(probes.length >= enrolled.length * 4 - 1, 'every enrolled person probed');
    assert.is(falseAccepts, 0, 'no different-person pair accepted');
    assert.is(falseAccepts1N, 0, 'none at the 1:N threshold either');
    assert.ok(falseRejects <= Math.floor(probes.length * MAX_FRR), `${falseRejects} false rejects of ${probes.length}`);
  } finally {
    await pipeline.close();
  }
});

test.run();
