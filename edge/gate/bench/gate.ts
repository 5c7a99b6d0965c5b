/**
 * Gate benchmark: `npm run bench:gate`. Builds a ticket cache through GateStore.applyBatch,
 * then, in a forked process holding only a GateAgent and its samples, times decisions per
 * credential kind against the floor (one Ed25519 verify + one primary-key read), durable
 * entry writes, and the process RSS. Progress and a table go to stderr; the last stdout line
 * is one JSON object.
 *
 * Environment: BENCH_TICKETS (1,000,000), BENCH_APPLY (100,000), BENCH_SAMPLES (20,000),
 * BENCH_WARMUP (2,000), BENCH_WRITES (2,000), BENCH_BATCH (5,000), BENCH_IDS (v7: time-ordered
 * ticket ids as HQ issues them; v4: random), BENCH_KEEP (keep the DB).
 */
import { fork } from 'node:child_process';
import { gateProcessRss } from './rss.ts';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
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
  ids: envIds(),
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

function printTable(r: DecideResult, summary: Record<string, unknown>): void {
  const row = (name: string, q: { p50: number; p99: number }) => `${name.padEnd(14)}${String(q.p50).padStart(10)}${String(q.p99).padStart(10)}`;
  const lines = [
    '',
    `${'kind'.padEnd(14)}${'p50 µs'.padStart(10)}${'p99 µs'.padStart(10)}`,
    ...Object.entries(r.kinds).map(([k, q]) => row(k, q)),
    row('floor', r.floor),
    row('durable write', r.write),
    '',
    ...Object.entries(summary).map(([k, v]) => `${k.padEnd(26)}${typeof v === 'number' ? v.toLocaleString('en') : String(v)}`),
    '',
  ];
  process.stderr.write(lines.join('\n') + '\n');
}

function summarise(load: LoadResult, applyRowsPerSecond: number, dbMb: number, r: DecideResult) {
  const worst = CREDENTIAL_KINDS.reduce((a, b) => (r.kinds[b].p99 > r.kinds[a].p99 ? b : a));
  const byKind = (q: 'p50' | 'p99') => Object.fromEntries(Object.entries(r.kinds).map(([k, v]) => [k, v[q]]));
  return {
    tickets: opts.tickets,
    ticket_ids: opts.ids,
    load_s: round1(load.seconds),
    load_apply_s: round1(load.applySeconds),
    load_changes: load.changes,
    db_mb: dbMb,
    apply_rows_per_s: applyRowsPerSecond,
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
    rss_mb: r.rssMb,
    rss_open_mb: r.rssOpenMb,
    heap_total_mb: r.heapTotalMb,
    other_cpu_cores: r.otherCpuCores ?? null,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tk-bench-gate-'));
  const dbPath = join(dir, 'gate.sqlite');
  const world: WorldParams = { seed: randomBytes(16).toString('hex'), keySeed: randomBytes(32).toString('hex'), now: Date.now(), ids: opts.ids };
  try {
    const { load, applyRowsPerSecond } = buildCache(dbPath, world);
    const r = await measure({ ...world, dataDir: dir, tickets: opts.tickets, samples: opts.samples, warmup: opts.warmup, writes: opts.writes });
    process.stderr.write('gate program RSS: starting edge/gate/main.ts on this cache...\n');
    const gateRss = await gateProcessRss({ ...world, dataDir: dir, tickets: opts.tickets, scans: 2000 });
    const out = { ...summarise(load, applyRowsPerSecond, fileMb(dbPath), r), rss_mb: gateRss.rssMb, rss_peak_mb: gateRss.hwmMb, rss_bench_process_mb: r.rssMb };
    if ((r.otherCpuCores ?? 0) > 0.2) {
      process.stderr.write(`warning: other processes used ${r.otherCpuCores} of ${availableParallelism()} cores while decisions were timed: tail latencies are inflated\n`);
    }
    printTable(r, {
      tickets: `${out.tickets.toLocaleString('en')} (${out.ticket_ids} ids)`,
      'load s': out.load_s,
      'load s in applyBatch': out.load_apply_s,
      'db MB': out.db_mb,
      'apply rows/s': out.apply_rows_per_s,
      [`ratio p99 (${out.p99_worst_kind}/floor)`]: out.ratio_p99,
      'rss MB (gate program)': out.rss_mb,
      'rss MB peak (gate program)': out.rss_peak_mb,
      'rss MB (timing process)': out.rss_bench_process_mb,
      'rss MB at open': out.rss_open_mb,
      'V8 heap MB': out.heap_total_mb,
      'other CPU (cores)': out.other_cpu_cores ?? 'n/a',
    });
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    // The world's seeds re-create its tickets and codes, to re-measure the kept cache.
    if (process.env.BENCH_KEEP) process.stderr.write(`kept ${dbPath} (world ${JSON.stringify(world)})\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
