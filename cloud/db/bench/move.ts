/**
 * bench:move — `migrate:pg` on a seeded month (100,000 sales, 300,000 entries by default;
 * BENCH_SALES / BENCH_ENTRIES to change) from PGlite to the Postgres server named by
 * BENCH_DATABASE_URL or TEST_DATABASE_URL (a fresh database is made on it and dropped after).
 * Every report is read before and after and must be equal. Floor: COPY of every table out of
 * PGlite into memory, in the same run: no move can read the data faster. The final line is
 * one JSON object.
 */
import { rmSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { openDb } from '../open.ts';
import { moveToServer } from '../move.ts';
import { freshCloudDataDir } from '../../../test/support/pglite.ts';
import { readReports, seedAuditedMonth } from '../../../test/support/month.ts';

const SALES = Number(process.env.BENCH_SALES ?? 100_000);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 300_000);
const server = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const say = (line: string) => process.stderr.write(`${line}\n`);
const s = (ms: number) => Math.round(ms) / 1000;
if (!server) {
  say('set BENCH_DATABASE_URL or TEST_DATABASE_URL (eval "$(bash test/support/postgres.sh start)")');
  process.exit(2);
}

const dataDir = await freshCloudDataDir();
const name = `tk_bench_move_${process.pid}`;
const admin = new pg.Client({ connectionString: server });
await admin.connect();
await admin.query(`create database ${name}`);
const url = new URL(server);
url.pathname = `/${name}`;
try {
  let t = performance.now();
  const source = await openDb({ pgliteDir: `${dataDir}/pglite` });
  await seedAuditedMonth(source.db, SALES, ENTRIES);
  say(`seeded ${SALES} sales, ${ENTRIES} entries, payments chained into the audit log in ${s(performance.now() - t)} s`);
  t = performance.now();
  const before = await readReports(source.db, dataDir);
  const reportsMs = performance.now() - t;
  const lite = (source.db as unknown as { $client: PGlite }).$client;
  t = performance.now();
  let bytes = 0;
  for (const { name: table } of (await lite.query<{ name: string }>(`select relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and relkind = 'r'`)).rows) {
    bytes += (await lite.query(`copy "${table}" to '/dev/blob'`)).blob?.size ?? 0;
  }
  const floorMs = performance.now() - t;
  await source.close();
  say(`floor: every table copied out of PGlite (${Math.round(bytes / 1e6)} MB) in ${s(floorMs)} s`);

  t = performance.now();
  let lastSaid = 0;
  const report = await moveToServer({
    pgliteDir: `${dataDir}/pglite`, databaseUrl: url.toString(),
    onProgress: (p) => {
      if (performance.now() - lastSaid < 2000 && p.rows !== p.total) return;
      lastSaid = performance.now();
      say(`moving ${p.table} ${p.tableRows}/${p.tableTotal} · ${p.rows}/${p.total} rows (${Math.round((100 * p.rows) / p.total)}%) ${s(performance.now() - t)} s`);
    },
  });
  const moveMs = performance.now() - t;
  const target = await openDb({ databaseUrl: url.toString(), pgliteDir: '' });
  const after = await readReports(target.db, dataDir);
  await target.close();
  const differ = Object.keys(before).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  say(`moved ${report.rows} rows of ${report.tables.length} tables in ${s(moveMs)} s (copy ${s(report.copyMs)} s, checks ${s(report.verifyMs)} s); reports ${differ.length ? `DIFFER: ${differ.join(', ')}` : 'equal'}`);
  console.log(JSON.stringify({
    sales: SALES, entries: ENTRIES, rows: report.rows, tables: report.tables.length, mb: Math.round(bytes / 1e6),
    move_s: s(moveMs), copy_s: s(report.copyMs), verify_s: s(report.verifyMs), floor_copy_out_s: s(floorMs),
    move_vs_floor: Math.round((moveMs / floorMs) * 10) / 10, reports_s: s(reportsMs),
    audit_records: report.audit.target.records, audit_ok: report.audit.target.ok, reports_equal: differ.length === 0,
  }));
  if (differ.length) process.exitCode = 1;
} finally {
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
  rmSync(dataDir, { recursive: true, force: true });
}
