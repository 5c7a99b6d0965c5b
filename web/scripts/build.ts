/**
 * Builds the back office app into web/dist when its sources changed since the last build
 * (`npm run build:web` always builds; `--if-stale` only when needed, as `npm start` and
 * `npm run cloud` call it). What counts: web/ (less dist) and shared/ (the app imports some of
 * it), package-lock.json. A lock directory keeps two processes from building at once.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const web = join(root, 'web');
export const WEB_DIST = join(web, 'dist');
const STAMP = join(WEB_DIST, '.sources');
const LOCK = join(web, '.build-lock');

function files(dir: string, skip: Set<string>): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const p = join(dir, name);
    const s = statSync(p);
    if (s.isDirectory()) out.push(...files(p, skip));
    else out.push(p);
  }
  return out;
}

/** A fingerprint of every source file: path, size and modification time. */
function fingerprint(): string {
  const skip = new Set(['dist', 'node_modules', '.build-lock']);
  const all = [...files(web, skip), ...files(join(root, 'shared'), skip), join(root, 'package-lock.json')].sort();
  const h = createHash('sha256');
  for (const f of all) {
    const s = statSync(f);
    h.update(`${relative(root, f)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest('hex');
}

export const webIsStale = () => !existsSync(join(WEB_DIST, 'index.html')) || !existsSync(STAMP) || readFileSync(STAMP, 'utf8') !== fingerprint();

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const until = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Another build is running (or one died: a lock older than 3 minutes is taken over).
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > 180_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > until) throw new Error(`web build: ${LOCK} held too long`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Builds when stale (or always, with force); resolves to whether it built. */
export async function buildWeb(opts: { force?: boolean; quiet?: boolean } = {}): Promise<boolean> {
  return withLock(async () => {
    if (!opts.force && !webIsStale()) return false;
    const print = fingerprint();
    const { build } = await import('vite');
    await build({ configFile: join(web, 'vite.config.ts'), logLevel: opts.quiet ? 'error' : 'info' });
    writeFileSync(STAMP, print);
    return true;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifStale = process.argv.includes('--if-stale');
  const built = await buildWeb({ force: !ifStale, quiet: ifStale });
  if (ifStale) process.stdout.write(built ? 'back office app built into web/dist\n' : '');
}
