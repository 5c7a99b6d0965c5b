import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { FacePipeline } from '../pipeline.ts';

/**
 * Test faces from the photos that `@vladmandic/face-api` ships in its demo/ folder (group
 * photos, one person per face, nobody in two photos): each detected face is cut out as a
 * portrait (the face with its surroundings), and variants of each portrait are made with
 * sharp, as a gate camera would see the same person differently from the enrolment photo.
 */
export const SAMPLE_FILES = ['sample1.jpg', 'sample2.jpg', 'sample3.jpg', 'sample4.jpg', 'sample5.jpg', 'sample6.jpg'];

export function demoDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
}

export interface Portrait { person: string; jpeg: Buffer }
export interface Variant { person: string; name: string; jpeg: Buffer }

/** One portrait per face found in the demo photos (the face box widened 2.2x, the other faces greyed out, JPEG q92). */
export async function portraits(pipeline: FacePipeline, files: readonly string[] = SAMPLE_FILES): Promise<Portrait[]> {
  const out: Portrait[] = [];
  for (const file of files) {
    const photo = readFileSync(join(demoDir(), file));
    const img = sharp(photo).rotate();
    const { width = 0, height = 0 } = await img.metadata();
    const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const boxes = (await pipeline.detector.detect({ data, width: info.width, height: info.height })).sort((a, b) => a.x - b.x);
    for (const [i, b] of boxes.entries()) {
      // The other people in the photo are greyed out, so each portrait shows one face.
      const masks = await Promise.all(boxes.filter((o) => o !== b).map(async (o) => {
        const m = { left: Math.max(0, Math.round(o.x - o.width * 0.15)), top: Math.max(0, Math.round(o.y - o.height * 0.15)) };
        const w = Math.min(width - m.left, Math.round(o.width * 1.3)), h = Math.min(height - m.top, Math.round(o.height * 1.3));
        return { input: await sharp({ create: { width: w, height: h, channels: 3, background: '#777777' } }).png().toBuffer(), ...m };
      }));
      const masked = await sharp(photo).rotate().composite(masks).png().toBuffer();
      const side = Math.max(b.width, b.height) * 2.2;
      const left = Math.max(0, Math.round(b.x + b.width / 2 - side / 2));
      const top = Math.max(0, Math.round(b.y + b.height / 2 - side / 2));
      const w = Math.min(width - left, Math.round(side));
      const h = Math.min(height - top, Math.round(side));
      out.push({ person: `${file.replace('.jpg', '')}#${i}`, jpeg: await sharp(masked).extract({ left, top, width: w, height: h }).jpeg({ quality: 92 }).toBuffer() });
    }
  }
  return out;
}

/** What the camera at the gate may do to a face: light, compression, tilt, distance. */
export const VARIANTS: { name: string; make: (s: Sharp, size: number) => Sharp }[] = [
  { name: 'darker', make: (s) => s.modulate({ brightness: 0.65 }) },
  { name: 'brighter', make: (s) => s.modulate({ brightness: 1.35 }) },
  { name: 'jpeg-q25', make: (s) => s.jpeg({ quality: 25 }) },
  { name: 'rotate+8', make: (s) => s.rotate(8, { background: '#808080' }) },
  { name: 'rotate-8', make: (s) => s.rotate(-8, { background: '#808080' }) },
  { name: 'scale-0.6', make: (s, size) => s.resize(Math.round(size * 0.6)) },
  { name: 'scale-1.5', make: (s, size) => s.resize(Math.round(size * 1.5)) },
];

export async function variants(p: Portrait): Promise<Variant[]> {
  const { width = 0 } = await sharp(p.jpeg).metadata();
  return Promise.all(VARIANTS.map(async (v) => ({
    person: p.person, name: v.name,
    jpeg: await v.make(sharp(p.jpeg), width).jpeg({ quality: v.name === 'jpeg-q25' ? 25 : 90 }).toBuffer(),
  })));
}

export function readDemoPhoto(name: string): Buffer {
  return readFileSync(join(demoDir(), name));
}
