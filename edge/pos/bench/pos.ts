/**
 * `npm run bench:pos`: how fast a till charges a band from its cache (the decision, the
 * offline-limit sums and the durable SQLite transaction, synchronous=FULL), against a
 * baseline measured in the same run on the same disk: one bare durable insert per
 * transaction. Progress on stderr, one JSON line on stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger } from '../../../shared/log/logger.ts';
import { parsePosConfig } from '../config.ts';
import { Pos } from '../pos.ts';
import { PosStore } from '../store.ts';

const BANDS = Number(process.env.BANDS ?? 5000);
const CHARGES = Number(process.env.CHARGES ?? 3000);
const dir = mkdtempSync(join(tmpdir(), 'tk-bench-pos-'));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const round = (n: number) => Math.round(n * 1000) / 1000;

try {
  // Baseline: one row per durable transaction, nothing else.
  const base = new Database(join(dir, 'base.sqlite'));
  base.pragma('journal_mode = WAL');
  base.pragma('synchronous = FULL');
  base.exec('create table t (id integer primary key, body text not null)');
  const ins = base.prepare('insert into t (body) values (?)');
  const one = base.transaction((b: string) => ins.run(b));
  const b0 = performance.now();
  for (let i = 0; i < CHARGES; i++) one(`{"n":${i}}`);
  const baseMs = performance.now() - b0;
  base.close();
  process.stderr.write(`baseline: ${CHARGES} durable inserts in ${Math.round(baseMs)} ms\n`);

  const store = new PosStore(join(dir, 'pos.sqlite'), Date.now);
  store.applyWallets(Array.from({ length: BANDS }, (_, i) => ({ id: `w${i}`, bandUid: `BA${String(i).padStart(6, '0')}`, state: 'open', balanceFen: 1_000_000, version: i + 1 })), BANDS);
  store.setItems([{ code: 'cola', name: '可乐', priceFen: 500 }, { code: 'noodles', name: '牛肉面', priceFen: 2800 }]);
  const config = parsePosConfig({ device: 'bench', site: 'demo', shop: 'snack', dataDir: dir, cloudUrl: 'http://127.0.0.1:9', offlineLimitFen: 1_000_000 });
  // Offline (never pulled): every charge is decided here, with the offline-limit sums.
  const pos = new Pos({ config, store, log: silentLogger, now: Date.now, lastPullAt: () => undefined });
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < CHARGES; i++) {
    const s = performance.now();
    await pos.charge(`BA${String(i % 200).padStart(6, '0')}`, [{ code: i % 2 ? 'cola' : 'noodles', quantity: 1 }]);
    times.push(performance.now() - s);
    if ((i + 1) % 1000 === 0) process.stderr.write(`charges: ${i + 1}/${CHARGES}\n`);
  }
  const totalMs = performance.now() - t0;
  store.close();
  times.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({
    bench: 'pos', bands: BANDS, charges: CHARGES, chargesPerBand: CHARGES / 200,
    chargeMsP50: round(pct(times, 0.5)), chargeMsP99: round(pct(times, 0.99)), chargesPerSec: Math.round(CHARGES / (totalMs / 1000)),
    baselineInsertsPerSec: Math.round(CHARGES / (baseMs / 1000)), ratioToBaseline: round((totalMs / CHARGES) / (baseMs / CHARGES)),
  }) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
