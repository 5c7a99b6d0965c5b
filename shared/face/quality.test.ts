import { test } from 'uvu';
import * as assert from 'uvu/assert';
import sharp, { type Sharp } from 'sharp';
import type { Point } from './align.ts';
import { decodeImage, FaceImageError } from './image.ts';
import { FacePipeline } from './pipeline.ts';
import { DEFAULT_QUALITY, eyeAspect, issues, pose, sharpness } from './quality.ts';
import { portraits, readDemoPhoto } from './testing/samples.ts';

/**
 * Quality at capture, on face-api's demo photos (the unit tests' own images): a frame the
 * gate cannot judge says why, so the visitor is asked to face the camera, not refused; and
 * what decoding takes (big phone photos, a JPEG cut short, the formats).
 */
const pipeline = await FacePipeline.open();
const [front, turned] = await portraits(pipeline, ['sample5.jpg']);

test.after(() => pipeline.close());

test('a sharp face facing the camera passes; the same face blurred, tiny or turned away does not', async () => {
  const ok = await pipeline.analyse(front!.jpeg);
  assert.is(ok.kind, 'face');
  if (ok.kind !== 'face') return;
  assert.equal(issues(ok.quality), []);

  const { width = 0 } = await sharp(front!.jpeg).metadata();
  const blurred = await pipeline.analyse(await sharp(front!.jpeg).blur(width / 120).jpeg().toBuffer());
  assert.is(blurred.kind, 'poor_quality');
  if (blurred.kind === 'poor_quality') assert.ok(blurred.issues.includes('blurred'), blurred.issues.join());

  // The face about 45 px wide in a 320 x 240 frame: someone standing too far away.
  const small = await sharp(front!.jpeg).resize(Math.round(width / 7)).toBuffer();
  const frame = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#808890' } }).composite([{ input: small, left: 120, top: 80 }]).jpeg({ quality: 92 }).toBuffer();
  const far = await pipeline.analyse(frame);
  assert.is(far.kind, 'poor_quality', far.kind);
  if (far.kind === 'poor_quality') assert.equal(far.issues, ['too_small']);

  const side = await pipeline.analyse(turned!.jpeg);
  assert.is(side.kind, 'poor_quality');
  if (side.kind === 'poor_quality') assert.equal(side.issues, ['turned_away']);
});

test('several faces are told apart from one; quality off judges whatever is found', async () => {
  const group = await pipeline.analyse(readDemoPhoto('sample1.jpg'));
  assert.is(group.kind, 'several_faces');
  const lax = new FacePipeline(pipeline.detector, pipeline.landmarker, pipeline.embedder, { quality: false });
  assert.is((await lax.analyse(turned!.jpeg)).kind, 'face');
});

test('eyes: open and closed lids by the eye aspect ratio; pose from the landmarks', () => {
  const eye = (gap: number): Point[] => [{ x: 0, y: 0 }, { x: 10, y: -gap }, { x: 20, y: -gap }, { x: 30, y: 0 }, { x: 20, y: gap }, { x: 10, y: gap }];
  assert.ok(eyeAspect(eye(4.5)) > DEFAULT_QUALITY.minEyes, 'open');
  assert.ok(eyeAspect(eye(1)) < DEFAULT_QUALITY.minEyes, 'closed');
  const q = { width: 120, sharpness: 0.1, yaw: 0, pitch: 0.5, eyes: 0.05 };
  assert.equal(issues(q), ['eyes_closed']);
  assert.equal(issues({ ...q, eyes: 0.3, yaw: 0.35 }), ['turned_away']);
  assert.equal(issues({ ...q, eyes: 0.3, pitch: 0.1 }), ['turned_away'], 'head far back');

  // A symmetric face: the nose in the middle; moved towards one side of the jaw, turned.
  const l: Point[] = Array.from({ length: 68 }, () => ({ x: 50, y: 50 }));
  l[0] = { x: 0, y: 40 }; l[16] = { x: 100, y: 40 };
  for (let i = 36; i < 48; i++) l[i] = { x: i < 42 ? 30 : 70, y: 40 };
  for (let i = 48; i < 68; i++) l[i] = { x: 50, y: 80 };
  l[30] = { x: 50, y: 60 };
  assert.ok(Math.abs(pose(l).yaw) < 1e-9);
  assert.ok(Math.abs(pose(l).pitch - 0.5) < 1e-9);
  l[30] = { x: 85, y: 60 };
  assert.ok(pose(l).yaw > DEFAULT_QUALITY.maxYaw);
});

test('sharpness does not depend on contrast, and falls with blur', async () => {
  const img = await decodeImage(front!.jpeg);
  const chip = async (s: Sharp) => {
    const { data, info } = await s.resize(150, 150).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  };
  const base = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
  const a = sharpness(await chip(base.clone()));
  const dim = sharpness(await chip(base.clone().linear(0.5, 60)));
  const soft = sharpness(await chip(base.clone().blur(8)));
  assert.ok(Math.abs(a - dim) / a < 0.15, `${a} vs ${dim} at half contrast`);
  assert.ok(soft < a / 3, `${soft} blurred, ${a} sharp`);
});

test('a 48-megapixel phone photo is scaled down, a JPEG cut short decoded, other formats named', async () => {
  const photo = readDemoPhoto('sample2.jpg');
  const big = await sharp(photo).resize(8000, 6000, { fit: 'fill' }).jpeg({ quality: 85 }).toBuffer();
  const r = await pipeline.analyse(big);
  assert.ok(r.kind === 'face' || r.kind === 'several_faces', r.kind);
  const img = await decodeImage(big);
  assert.is(Math.max(img.width, img.height), 1600);

  const cut = photo.subarray(0, Math.floor(photo.length * 0.95));
  const partial = await decodeImage(cut);
  assert.ok(partial.width > 1000, 'decoded as far as it goes');

  const gif = await sharp(photo).resize(200).gif().toBuffer();
  const refusal = (b: Buffer) => decodeImage(b).then(() => undefined, (e: unknown) => e);
  const g = await refusal(gif);
  assert.ok(g instanceof FaceImageError && g.code === 'unsupported_format' && /gif .*JPEG, PNG, WEBP/.test(g.message), String(g));
  const junk = await refusal(Buffer.from('not an image'));
  assert.ok(junk instanceof FaceImageError && junk.code === 'bad_image', String(junk));
  const webp = await decodeImage(await sharp(photo).resize(300).webp().toBuffer());
  assert.is(webp.width, 300);
});

test.run();
