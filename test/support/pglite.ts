import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, openDb } from '../../cloud/db/open.ts';

const root = new URL('../..', import.meta.url).pathname;

/**
 * A fresh PGlite takes ~5 s to initialise; copying a migrated one takes a fraction of that.
 * The template is keyed by the migrations' content, so a new migration makes a new one.
 */
export async function preparePgliteTemplate(): Promise<string> {
  if (process.env.PGLITE_TEMPLATE && existsSync(process.env.PGLITE_TEMPLATE)) return process.env.PGLITE_TEMPLATE;
  const hash = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS, { recursive: true }).map(String).sort()) {
    if (f.endsWith('.sql') || f.endsWith('.json')) hash.update(f).update(readFileSync(join(MIGRATIONS, f)));
  }
  const dir = join(root, '.tmp', `pglite-template-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(dir)) return dir;
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const building = `${dir}.${process.pid}.building`;
  rmSync(building, { recursive: true, force: true });
  const opened = await openDb({ pgliteDir: building });
  await opened.close();
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another process won the race
  }
  return dir;
}

/** A new cloud data directory whose PGlite is a copy of the migrated template. */
export async function freshCloudDataDir(): Promise<string> {
  const template = await preparePgliteTemplate();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-cloud-'));
  cpSync(template, join(dataDir, 'pglite'), { recursive: true });
  return dataDir;
}
