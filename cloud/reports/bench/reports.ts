/**
 * bench:reports — every report over a seeded month (100,000 sales, 300,000 entries by
 * default; BENCH_SALES / BENCH_ENTRIES to change) on PGlite, through the HTTP app. Floor: a
 * plain `count(*), sum(...)` scan of the same tables over the same range in the same run, so
 * the slowest report reads as a ratio to what any query over those rows costs. The final line
 * is one JSON object.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { createApp } from '../../app.ts';
import { ensureAdmin } from '../../auth/service.ts';
import { loadCloudConfig } from '../../config.ts';
import type { CloudContext } from '../../context.ts';
import { openDb } from '../../db/open.ts';
import { DeviceAuth } from '../../devices/auth.ts';
import { loadIssuerKey } from '../../keys/issuer.ts';
import { changeLogId } from '../../sync/changes.ts';
import { freshCloudDataDir } from '../../../test/support/pglite.ts';
import { silentLogger } from '../../../shared/log/logger.ts';
import { startOfBusinessDay } from '../../../shared/time/zone.ts';
import { TICKET_REPORTS } from '../registry.ts';
import { expectedReports, sorted } from '../testing/expected.ts';
import { loadMonth, makeMonth } from '../testing/seed.ts';

const SALES = Number(process.env.BENCH_SALES ?? 100_000);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 300_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TZ = 'Asia/Shanghai';
// Progress and the table go to stderr; stdout carries only the final JSON line.
const say = (line: string) => process.stderr.write(`${line}\n`);
const s = (ms: number) => Math.round(ms) / 1000;

const dataDir = await freshCloudDataDir();
const opened = await openDb({ pgliteDir: `${dataDir}/pglite` });
const at = startOfBusinessDay('2026-10-15', TZ) + 14.5 * 3_600_000;
const ctx: CloudContext = {
  config: loadCloudConfig({ dataDir, timeZone: TZ }, {}), db: opened.db, changeLog: await changeLogId(opened.db),
  key: await loadIssuerKey(opened.db, `${dataDir}/keys`), log: silentLogger, deviceAuth: new DeviceAuth(randomBytes(32), false),
  now: () => at, notify: () => undefined, publishDesired: () => undefined, publish: () => undefined,
};
const app = createApp(ctx);
await ensureAdmin(opened.db, 'bench-password');
const login = await app.request('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'bench-password' }) });
const token = ((await login.json()) as { token: string }).token;

try {
  const t0 = performance.now();
  const month = makeMonth({ month: '2026-10-01', sales: SALES, entries: ENTRIES, timeZone: TZ });
  await loadMonth(opened.db, month);
  const seedMs = performance.now() - t0;
  say(`seeded ${SALES} sales, ${ENTRIES} entries (${month.orders.length} orders, ${month.payments.length} payments, ${month.bookings.length} bookings) in ${s(seedMs)} s`);

  const best = async (fn: () => Promise<unknown>) => {
    let min = Infinity;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await fn();
      min = Math.min(min, performance.now() - t);
    }
    return min;
  };
  const range = { start: new Date(month.start), end: new Date(month.end) };
  // Floors: the cheapest full look at the rows the reports read, over the same range.
  const floors = {
    sales: await best(() => opened.db.execute(sql`select count(*), sum(total_fen) from sales where created_at >= ${range.start} and created_at < ${range.end}`)),
    entries: await best(() => opened.db.execute(sql`select count(*), sum(persons) from entries where corrected_time >= ${range.start} and corrected_time < ${range.end}`)),
    payments: await best(() => opened.db.execute(sql`select count(*), sum(amount_fen) from payments where created_at >= ${range.start} and created_at < ${range.end}`)),
  };

  const reports: Record<string, number> = {};
  const wrong: string[] = [];
  const expected = expectedReports(month, { inParkAt: at });
  for (const def of TICKET_REPORTS) {
    let body: { rows: Record<string, unknown>[] } | undefined;
    reports[def.name] = s(await best(async () => {
      const res = await app.request(`/api/v1/reports/${def.name}?from=2026-10-01&to=2026-10-31`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`${def.name}: ${res.status} ${await res.text()}`);
      body = (await res.json()) as typeof body;
    }));
    // The figures are checked too: a fast wrong answer is no answer.
    if (JSON.stringify(sorted(body!.rows as never)) !== JSON.stringify(sorted(expected[def.name]!))) wrong.push(def.name);
    say(`${def.name.padEnd(20)}${String(reports[def.name]).padStart(8)} s${wrong.includes(def.name) ? '  FIGURES WRONG' : ''}`);
  }
  say(`${'floor: scan of sales'.padEnd(20)}${String(s(floors.sales)).padStart(8)} s\n${'floor: entries'.padEnd(20)}${String(s(floors.entries)).padStart(8)} s\n${'floor: payments'.padEnd(20)}${String(s(floors.payments)).padStart(8)} s`);
  const [slowest, slowestS] = Object.entries(reports).sort((a, b) => b[1] - a[1])[0]!;
  const exportMs = {
    csv: await best(async () => (await app.request(`/api/v1/reports/${slowest}.csv?from=2026-10-01&to=2026-10-31`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer()),
    xlsx: await best(async () => (await app.request(`/api/v1/reports/${slowest}.xlsx?from=2026-10-01&to=2026-10-31`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer()),
  };
  const floorOf = slowest.startsWith('entries') || slowest === 'in-park' ? floors.entries : slowest.includes('payment') || slowest.includes('seller') ? floors.payments : floors.sales;
  const inMonth = month.sales.filter((x) => x.at >= month.start && x.at < month.end).length;
  console.log(JSON.stringify({
    sales: SALES, entries: ENTRIES, sales_in_month: inMonth, orders: month.orders.length, payments: month.payments.length, bookings: month.bookings.length,
    seed_s: s(seedMs), runs: RUNS,
    slowest_report: slowest, slowest_report_s: slowestS,
    floor_scan_s: { sales: s(floors.sales), entries: s(floors.entries), payments: s(floors.payments) },
    slowest_vs_floor: Math.round((slowestS * 1000 / floorOf) * 10) / 10,
    slowest_csv_s: s(exportMs.csv), slowest_xlsx_s: s(exportMs.xlsx),
    under_2s: slowestS < 2, figures_wrong: wrong, reports,
  }));
  if (wrong.length) process.exitCode = 1;
} finally {
  await opened.close();
  rmSync(dataDir, { recursive: true, force: true });
}
