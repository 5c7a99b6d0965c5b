import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VOICE_LOCALES, type VoiceLocale } from './port.ts';
import { ESPEAK_VOICES, promptTexts, type PromptTexts } from './prompts.ts';
import { parseWav } from './wav.ts';

export const MANIFEST = 'manifest.json';

const DEFAULT_SPEED: Record<VoiceLocale, number> = { 'zh-CN': 200, en: 160 };

export interface ManifestEntry {
  /** Hash of what made the clip (voice, speed, text): a change regenerates it. */
  hash: string;
  /** Relative to the clips folder: `<locale>/<key>.wav`. */
  file: string;
  text: string;
  durationMs: number;
}

export interface Manifest {
  version: 1;
  clips: Record<string, ManifestEntry>;
}

export interface BuildClipsOptions {
  /** Folder for `<locale>/<key>.wav` and the manifest (the repo's data/voice, git-ignored). */
  outDir: string;
  texts?: PromptTexts;
  /** Only these prompt keys; the others in the manifest are kept as they are. */
  only?: readonly string[];
  locales?: readonly VoiceLocale[];
  espeakPath?: string;
  /**
   * espeak-ng's words per minute per locale. Its Mandarin voice is slow (3.6 s for 欢迎光临，请通行
   * at its default 175), too slow for a queue, so zh-CN defaults to 200; English to 160.
   */
  speed?: Partial<Record<VoiceLocale, number>>;
  /** Regenerate every clip, whatever the manifest says. */
  force?: boolean;
}

export interface BuildReport {
  generated: string[];
  kept: string[];
  removed: string[];
  manifest: Manifest;
}

/** The manifest key and file of a clip. */
export function clipPath(locale: VoiceLocale, key: string): string {
  return `${locale}/${key}.wav`;
}

function hashOf(voice: string, speed: number, text: string): string {
  return createHash('sha256').update(JSON.stringify(['espeak-ng', voice, speed, text])).digest('hex');
}

export async function readManifest(outDir: string): Promise<Manifest> {
  try {
    const parsed = JSON.parse(await readFile(join(outDir, MANIFEST), 'utf8')) as Manifest;
    if (parsed?.version === 1 && parsed.clips && typeof parsed.clips === 'object') return parsed;
  } catch {
    // Missing or unreadable: start over, every clip is made again.
  }
  return { version: 1, clips: {} };
}

/**
 * Speaks every prompt text with espeak-ng into WAV files, skipping clips whose text, voice and
 * speed hash as in the manifest and whose file is still a valid WAV. Each clip is written to a
 * temporary name, checked, then renamed, and the manifest is written last, so an interrupted
 * build leaves only clips that are whole and a manifest that names only those.
 */
export async function buildClips(options: BuildClipsOptions): Promise<BuildReport> {
  const texts = options.texts ?? promptTexts();
  const locales = options.locales ?? VOICE_LOCALES;
  const speeds = { ...DEFAULT_SPEED, ...options.speed };
  const keys = options.only ?? Object.keys(texts);
  const old = await readManifest(options.outDir);
  const manifest: Manifest = { version: 1, clips: options.only ? { ...old.clips } : {} };
  const report: BuildReport = { generated: [], kept: [], removed: [], manifest };
  for (const locale of locales) {
    await mkdir(join(options.outDir, locale), { recursive: true });
    for (const key of keys) {
      if (!/^[a-z0-9_-]+$/i.test(key)) throw new Error(`prompt key ${JSON.stringify(key)} is not usable as a file name`);
      const text = texts[key]?.[locale];
      if (!text) throw new Error(`no ${locale} text for prompt ${key}`);
      const voice = ESPEAK_VOICES[locale];
      const speed = speeds[locale];
      const file = clipPath(locale, key);
      const hash = hashOf(voice, speed, text);
      const previous = old.clips[file];
      if (!options.force && previous?.hash === hash) {
        const durationMs = await validDuration(join(options.outDir, file));
        if (durationMs !== undefined) {
          manifest.clips[file] = { ...previous, durationMs };
          report.kept.push(file);
          continue;
        }
      }
      const tmp = join(options.outDir, `${file}.tmp`);
      await speak(options.espeakPath ?? 'espeak-ng', voice, speed, text, tmp);
      const info = parseWav(await readFile(tmp));
      if (info.durationMs < 100) throw new Error(`espeak-ng made a clip of ${info.durationMs} ms for ${file}`);
      await rename(tmp, join(options.outDir, file));
      manifest.clips[file] = { hash, file, text, durationMs: info.durationMs };
      report.generated.push(file);
    }
  }
  if (!options.only) {
    for (const file of Object.keys(old.clips)) {
      if (manifest.clips[file] || !/^[a-zA-Z-]+\/[a-z0-9_-]+\.wav$/i.test(file)) continue;
      await rm(join(options.outDir, file), { force: true });
      report.removed.push(file);
    }
  }
  const tmpManifest = join(options.outDir, `${MANIFEST}.tmp`);
  await writeFile(tmpManifest, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tmpManifest, join(options.outDir, MANIFEST));
  return report;
}

async function validDuration(path: string): Promise<number | undefined> {
  try {
    return parseWav(await readFile(path)).durationMs;
  } catch {
    return undefined;
  }
}

/** Text goes in on stdin, so nothing in it can be taken for an option. */
function speak(espeak: string, voice: string, speed: number, text: string, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(espeak, ['-v', voice, '-s', String(speed), '-w', out, '--stdin'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-2000)));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`espeak-ng exited with ${code}: ${stderr.trim()}`));
    });
    child.stdin.end(text);
  });
}
