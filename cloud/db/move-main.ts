/**
 * npm run migrate:pg -- [--data-dir <dir>] <postgres://...>
 * Moves HQ's data from the embedded PGlite data dir (DATA_DIR, default data/cloud) into an
 * empty database on a Postgres server (the URL, or DATABASE_URL), then checks it. Stop HQ
 * first; afterwards start it with DATABASE_URL set and the same DATA_DIR (its keys stay there).
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { moveToServer } from './move.ts';

const { values, positionals } = parseArgs({ options: { 'data-dir': { type: 'string' } }, allowPositionals: true });
const dataDir = resolve(values['data-dir'] ?? process.env.DATA_DIR ?? 'data/cloud');
const url = positionals[0] ?? process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('usage: npm run migrate:pg -- [--data-dir <dir>] <postgres://user@host:port/db>\n');
  process.exit(2);
}
const pgliteDir = join(dataDir, 'pglite');
if (!existsSync(join(pgliteDir, 'PG_VERSION'))) {
  process.stderr.write(`no PGlite database in ${pgliteDir}\n`);
  process.exit(2);
}

const t0 = performance.now();
const tty = process.stderr.isTTY;
let last = 0;
const fmt = (n: number) => n.toLocaleString('en');
const report = await moveToServer({
  pgliteDir, databaseUrl: url,
  onProgress: (p) => {
    if (p.tableTotal === 0) return;
    const now = performance.now();
    if (p.rows !== p.total && now - last < (tty ? 200 : 2000)) return;
    last = now;
    const line = `移动 moving ${p.table} ${fmt(p.tableRows)}/${fmt(p.tableTotal)} · ${fmt(p.rows)}/${fmt(p.total)} rows (${Math.round((100 * p.rows) / Math.max(p.total, 1))}%) ${((now - t0) / 1000).toFixed(1)} s`;
    process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
  },
}).catch((err: Error) => {
  process.stderr.write(`\n✘ ${err.message}\n`);
  process.exit(1);
});
if (tty) process.stderr.write('\n');
const { source, target } = report.audit;
process.stderr.write(`✔ ${report.tables.length} tables, ${fmt(report.rows)} rows, ${report.sequences} sequences; every table's rows checked; `
  + `audit chain ${target.ok ? 'intact' : `as on the source (${target.problems.length} problems)`}: ${target.records} records, head ${target.head.slice(0, 16)}… (source ${source.head.slice(0, 16)}…)\n`);
process.stdout.write(`${JSON.stringify({ tables: report.tables.length, rows: report.rows, copy_s: report.copyMs / 1000, verify_s: report.verifyMs / 1000, total_s: (performance.now() - t0) / 1000 })}\n`);
