/**
 * Gate benchmark: `npm run bench:gate`. Builds a ticket cache through GateStore.applyBatch,
 * then, in a forked process holding only a GateAgent and its samples, times decisions per
 * credential kind against the floor (one Ed25519 verify + one primary-key read), durable
 * entry writes, and the process RSS. Progress and a table go to stderr; the last stdout line
 * is one JSON object.
 *
 * RSS (issue 18: under 150 MB at 1,000,000 tickets): the gate program as production runs it,
 * compiled by `npm run build:edge` (built afresh here) and started with plain node on this
 * cache (`rss_mb`, idle and after BENCH_SCANS presentations), beside the same program through
 * tsx (`rss_mb_tsx`) and a bare `node -e` (`node_floor_mb`), all in the same run.
 *
 * Environment: BENCH_TICKETS (1,000,000), BENCH_APPLY (100,000), BENCH_SAMPLES (20,000),
 * BENCH_WARMUP (2,000), BENCH_WRITES (2,000), BENCH_BATCH (5,000), BENCH_IDS (v7: time-ordered
 * ticket ids as HQ issues them; v4: random), BENCH_SCANS (1,000), BENCH_KEEP (keep the DB),
 * BENCH_CACHE=<dir> (build the cache there once and reuse it in later runs: its world.json
 * holds the seeds), BENCH_DECIDE=0 (skip the decision timings: RSS only).
 */
import { fork } from 'node:child_process';
import { buildEdge } from '../../build.ts';
import { gateProcessRss, nodeFloorRss, ROOT, unitNodeArgs } from './rss.ts';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openGateDb } from '../db/open.ts';
import { GateStore } from '../store.ts';
import { applyRate, loadTickets, type LoadResult } from './build.ts';
import type { DecideParams, DecideResult, Kind } from './decide.ts';
import { makeWorld, type IdKind, type WorldParams } from './fixture.ts';
import { Progress, round1 } from './stats.ts';

function envInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer of at least ${min}, got "${raw}"`);
  return n;
}

const opts = {
  // Every credential kind needs a ticket among the first ten (fixture.ts CREDENTIAL_SLOTS).
  tickets: envInt('BENCH_TICKETS', 1_000_000, 10),
  apply: envInt('BENCH_APPLY', 100_000),
  samples: envInt('BENCH_SAMPLES', 20_000),
  warmup: envInt('BENCH_WARMUP', 2_000),
  writes: envInt('BENCH_WRITES', 2_000),
  batch: envInt('BENCH_BATCH', 5_000),
  scans: envInt('BENCH_SCANS', 1_000),
  ids: envIds(),
  cache: process.env.BENCH_CACHE || undefined,
  decide: process.env.BENCH_DECIDE !== '0',
};

function envIds(): IdKind {
  const raw = process.env.BENCH_IDS || 'v7';
  if (raw !== 'v4' && raw !== 'v7') throw new Error(`BENCH_IDS must be v4 or v7, got "${raw}"`);
  return raw;
}

/** The kinds a visitor presents; `forged` is the refusal path, reported but not the worst case. */
const CREDENTIAL_KINDS: Kind[] = ['qr', 'barcode', 'card', 'idcard'];

function fileMb(path: string): number {
  const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
  return Math.round((size(path) + size(`${path}-wal`)) / 2 ** 20);
}

function buildCache(dbPath: string, world: WorldParams): { load: LoadResult; applyRowsPerSecond: number } {
  const w = makeWorld(world);
  const store = new GateStore(openGateDb(dbPath));
  try {
    const load = loadTickets(store, w, 0, opts.tickets, opts.batch, new Progress('load', opts.tickets));
    process.stderr.write(`applying ${opts.apply.toLocaleString('en')} changes into the populated cache...\n`);
    // New tickets after the loaded ones, so these are inserts into a full B-tree, not no-op upserts.
    const { rowsPerSecond } = applyRate(store, w, opts.tickets, opts.apply, opts.batch, load.lastSeq);
    return { load, applyRowsPerSecond: rowsPerSecond };
  } finally {
    store.db.$client.close();
  }
}

function measure(params: DecideParams): Promise<DecideResult> {
  return new Promise((resolve, reject) => {
    // Inherits execArgv, so the child runs under the same tsx loader.
    const child = fork(fileURLToPath(new URL('./decide.ts', import.meta.url)), [JSON.stringify(params)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: DecideResult | undefined;
    child.on('message', (m) => { result = m as DecideResult; });
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`measuring process exited with ${code}`))));
  });
}

function printTable(r: DecideResult | undefined, summary: Record<string, unknown>): void {
  const row = (name: string, q: { p50: number; p99: number }) => `${name.padEnd(14)}${String(q.p50).padStart(10)}${String(q.p99).padStart(10)}`;
  const lines = [
    '',
    ...(r ? [
      `${'kind'.padEnd(14)}${'p50 µs'.padStart(10)}${'p99 µs'.padStart(10)}`,
      ...Object.entries(r.kinds).map(([k, q]) => row(k, q)),
      row('floor', r.floor),
      row('durable write', r.write),
      '',
    ] : []),
    ...Object.entries(summary).map(([k, v]) => `${k.padEnd(30)}${typeof v === 'number' ? v.toLocaleString('en') : String(v)}`),
    '',
  ];
  process.stderr.write(lines.join('\n') + '\n');
}

function summariseDecisions(r: DecideResult) {
  const worst = CREDENTIAL_KINDS.reduce((a, b) => (r.kinds[b].p99 > r.kinds[a].p99 ? b : a));
  const byKind = (q: 'p50' | 'p99') => Object.fromEntries(Object.entries(r.kinds).map(([k, v]) => [k, v[q]]));
  return {
    samples: opts.samples,
    floor_p50_us: r.floor.p50,
    floor_p99_us: r.floor.p99,
    p50_us_by_kind: byKind('p50'),
    p99_us_by_kind: byKind('p99'),
    p99_us: r.kinds[worst].p99,
    p99_worst_kind: worst,
    ratio_p99: Math.round((r.kinds[worst].p99 / r.floor.p99) * 100) / 100,
    durable_write_p50_us: r.write.p50,
    durable_write_p99_us: r.write.p99,
    rss_bench_process_mb: r.rssMb,
    rss_open_mb: r.rssOpenMb,
    heap_total_mb: r.heapTotalMb,
    other_cpu_cores: r.otherCpuCores ?? null,
  };
}

interface Cache { dir: string; dbPath: string; world: WorldParams; built?: { load: LoadResult; applyRowsPerSecond: number } }

/** A fresh cache in a temporary folder, or BENCH_CACHE's: built there once, reused after. */
function prepareCache(): Cache {
  const dir = opts.cache ? resolve(opts.cache) : mkdtempSync(join(tmpdir(), 'tk-bench-gate-'));
  const dbPath = join(dir, 'gate.sqlite');
  const worldPath = join(dir, 'world.json');
  if (opts.cache && existsSync(worldPath) && existsSync(dbPath)) {
    const saved = JSON.parse(readFileSync(worldPath, 'utf8')) as { tickets: number; world: WorldParams };
    if (saved.tickets !== opts.tickets) throw new Error(`BENCH_CACHE ${dir} holds ${saved.tickets} tickets, not BENCH_TICKETS=${opts.tickets}: remove it or give another folder`);
    process.stderr.write(`reusing the cache in ${dir} (${saved.tickets.toLocaleString('en')} tickets)\n`);
    return { dir, dbPath, world: saved.world };
  }
  mkdirSync(dir, { recursive: true });
  const world: WorldParams = { seed: randomBytes(16).toString('hex'), keySeed: randomBytes(32).toString('hex'), now: Date.now(), ids: opts.ids };
  const built = buildCache(dbPath, world);
  if (opts.cache) writeFileSync(worldPath, JSON.stringify({ tickets: opts.tickets, world }));
  return { dir, dbPath, world, built };
}

async function main(): Promise<void> {
  const cache = prepareCache();
  const { dir, dbPath, world } = cache;
  try {
    const r = opts.decide ? await measure({ ...world, dataDir: dir, tickets: opts.tickets, samples: opts.samples, warmup: opts.warmup, writes: opts.writes }) : undefined;

    process.stderr.write('building the edge programs (npm run build:edge)...\n');
    await buildEdge(join(ROOT, 'dist'));
    const at = { ...world, dataDir: dir, tickets: opts.tickets, scans: opts.scans, idleMs: 3000 };
    const unit = unitNodeArgs();
    process.stderr.write(`gate program RSS: node ${unit.join(' ')} (as scenic-gate.service), ${opts.scans.toLocaleString('en')} scans...\n`);
    const compiled = await gateProcessRss(at, unit);
    // The same build without the unit's V8 flags: what the flags alone save.
    const plain = unit.filter((a) => !a.startsWith('--'));
    process.stderr.write(`gate program RSS: node ${plain.join(' ')}, the same scans...\n`);
    const compiledPlain = await gateProcessRss(at, plain);
    // The baseline: how the unit ran the gate before the build step.
    process.stderr.write('gate program RSS: node --import tsx edge/gate/main.ts, the same scans...\n');
    const tsx = await gateProcessRss(at, ['--import', 'tsx', 'edge/gate/main.ts']);
    const floor = await nodeFloorRss();

    const out = {
      tickets: opts.tickets,
      ticket_ids: world.ids,
      ...(cache.built ? {
        load_s: round1(cache.built.load.seconds),
        load_apply_s: round1(cache.built.load.applySeconds),
        load_changes: cache.built.load.changes,
        apply_rows_per_s: cache.built.applyRowsPerSecond,
      } : { cache_reused: true }),
      db_mb: fileMb(dbPath),
      ...(r ? summariseDecisions(r) : {}),
      rss_mb: compiled.rssMb,
      rss_idle_mb: compiled.idleMb,
      rss_peak_mb: compiled.hwmMb,
      rss_command: `node ${unit.join(' ')}`,
      rss_mb_no_v8_flags: compiledPlain.rssMb,
      rss_idle_mb_no_v8_flags: compiledPlain.idleMb,
      rss_mb_tsx: tsx.rssMb,
      rss_idle_mb_tsx: tsx.idleMb,
      node_floor_mb: floor,
      rss_goal_mb: 150,
      rss_scans: opts.scans,
      rss_admitted: compiled.admitted,
      load_avg_1m: round1(loadavg()[0]!),
    };
    if ((r?.otherCpuCores ?? 0) > 0.2) {
      process.stderr.write(`warning: other processes used ${r!.otherCpuCores} of ${availableParallelism()} cores while decisions were timed: tail latencies are inflated\n`);
    }
    printTable(r, {
      tickets: `${out.tickets.toLocaleString('en')} (${out.ticket_ids} ids)`,
      ...(cache.built ? { 'load s': round1(cache.built.load.seconds), 'load s in applyBatch': round1(cache.built.load.applySeconds), 'apply rows/s': cache.built.applyRowsPerSecond } : {}),
      'db MB': out.db_mb,
      ...(r ? { [`ratio p99 (${out.p99_worst_kind}/floor)`]: out.ratio_p99, 'rss MB (timing process)': out.rss_bench_process_mb, 'V8 heap MB (timing process)': out.heap_total_mb, 'other CPU (cores)': out.other_cpu_cores ?? 'n/a' } : {}),
      'rss MB gate (node dist)': `${out.rss_mb} after scans, ${out.rss_idle_mb} idle, ${out.rss_peak_mb} peak (goal < 150)`,
      'rss MB gate (dist, no flags)': `${out.rss_mb_no_v8_flags} after scans, ${out.rss_idle_mb_no_v8_flags} idle`,
      'rss MB gate (tsx)': `${out.rss_mb_tsx} after scans, ${out.rss_idle_mb_tsx} idle`,
      'rss MB bare node -e': out.node_floor_mb,
    });
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    // The world's seeds re-create its tickets and codes, to re-measure the kept cache.
    if (opts.cache) process.stderr.write(`cache kept in ${dir} (BENCH_CACHE)\n`);
    else if (process.env.BENCH_KEEP) process.stderr.write(`kept ${dbPath} (world ${JSON.stringify(world)})\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
