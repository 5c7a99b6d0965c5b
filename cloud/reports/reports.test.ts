import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createApp } from '../app.ts';
import { ensureAdmin } from '../auth/service.ts';
import { loadCloudConfig } from '../config.ts';
import type { CloudContext } from '../context.ts';
import { openDb } from '../db/open.ts';
import { DeviceAuth } from '../devices/auth.ts';
import { loadIssuerKey } from '../keys/issuer.ts';
import { changeLogId } from '../sync/changes.ts';
import { ensureDefaultSite } from '../sites/service.ts';
import { freshCloudDataDir } from '../../test/support/pglite.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { startOfBusinessDay } from '../../shared/time/zone.ts';
import { TICKET_REPORTS } from './registry.ts';
import { expectedReports, sorted } from './testing/expected.ts';
import { loadMonth, makeMonth } from './testing/seed.ts';

// A seeded month through the real app and a real PGlite; REPORTS_SALES / REPORTS_ENTRIES set
// its size (100000 / 300000 is the full month the benchmark runs).
const SALES = Number(process.env.REPORTS_SALES ?? 20_000);
const ENTRIES = Number(process.env.REPORTS_ENTRIES ?? 60_000);
const TZ = 'Asia/Shanghai';

const dataDir = await freshCloudDataDir();
const opened = await openDb({ pgliteDir: `${dataDir}/pglite` });
const config = loadCloudConfig({ dataDir, timeZone: TZ }, {});
const inParkAt = startOfBusinessDay('2026-10-15', TZ) + 14.5 * 3_600_000;
const ctx: CloudContext = {
  config, db: opened.db, changeLog: await changeLogId(opened.db), key: await loadIssuerKey(opened.db, `${dataDir}/keys`), log: silentLogger,
  deviceAuth: new DeviceAuth(randomBytes(32), false), now: () => inParkAt, notify: () => undefined, publishDesired: () => undefined, publish: () => undefined,
};
const app = createApp(ctx);
await ensureAdmin(opened.db, 'admin-password');
// Two sites: the seeded one and one with nothing sold.
for (const site of ['demo', 'elsewhere']) await ensureDefaultSite(opened.db, site);
const login = await app.request('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'admin-password' }) });
const token = ((await login.json()) as { token: string }).token;
const get = async (path: string) => {
  const res = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as any };
};

const month = makeMonth({ month: '2026-10-01', sales: SALES, entries: ENTRIES, timeZone: TZ });
await loadMonth(opened.db, month);
const expected = expectedReports(month, { inParkAt });

test('the seeded month is the size asked for, with records either side of it', () => {
  assert.is(month.sales.length, SALES);
  assert.is(month.entries.length, ENTRIES);
  assert.ok(month.sales.some((s) => s.at < month.start) && month.sales.some((s) => s.at >= month.end));
});

for (const def of TICKET_REPORTS) {
  test(`${def.name}: figures equal the totals worked out from the seed`, async () => {
    const r = await get(`/api/v1/reports/${def.name}?from=2026-10-01&to=2026-10-31`);
    assert.is(r.status, 200, JSON.stringify(r.body));
    const want = expected[def.name];
    assert.ok(want, `no expectation for ${def.name}`);
    assert.ok(want!.length > 0, `the seed gives ${def.name} something to count`);
    assert.equal(sorted(r.body.rows), sorted(want!));
    assert.equal(r.body.columns.map((c: { key: string }) => c.key), def.columns.map((c) => c.key));
    for (const c of def.columns) {
      if ((c.type === 'int' || c.type === 'fen') && c.total !== false) {
        assert.is(r.body.totals[c.key], want!.reduce((s, x) => s + Number(x[c.key]), 0), `${def.name} total of ${c.key}`);
      }
    }
  });
}

test('sales figures agree with each other: by day, by type and by channel give the same gross', async () => {
  const gross = (rows: { grossFen: number }[]) => rows.reduce((s, r) => s + r.grossFen, 0);
  const q = '?from=2026-10-01&to=2026-10-31';
  const day = (await get(`/api/v1/reports/sales-by-day${q}`)).body.rows;
  const total = month.sales.filter((s) => s.at >= month.start && s.at < month.end).reduce((s, x) => s + x.totalFen, 0);
  assert.is(gross(day), total);
  assert.is(gross((await get(`/api/v1/reports/sales-by-type${q}`)).body.rows), total);
  assert.is(gross((await get(`/api/v1/reports/sales-by-channel${q}`)).body.rows), total);
  assert.is(day.length, 31);
});

test('a one-day range counts only that local day (a sale at 23:59 local on the 9th is not on the 10th)', async () => {
  const start = startOfBusinessDay('2026-10-10', TZ);
  const end = startOfBusinessDay('2026-10-11', TZ);
  const want = month.sales.filter((s) => s.at >= start && s.at < end);
  const r = await get('/api/v1/reports/sales-by-day?from=2026-10-10&to=2026-10-10');
  assert.equal(r.body.rows.map((x: any) => [x.day, x.lines, x.grossFen]), [['2026-10-10', want.length, want.reduce((s, x) => s + x.totalFen, 0)]]);
});

test('a site filter keeps other sites out', async () => {
  const r = await get('/api/v1/reports/entries-by-gate?from=2026-10-01&to=2026-10-31&site=elsewhere');
  assert.is(r.status, 200);
  assert.equal(r.body.rows, []);
  const mine = await get('/api/v1/reports/entries-by-gate?from=2026-10-01&to=2026-10-31&site=demo');
  assert.equal(sorted(mine.body.rows), sorted(expected['entries-by-gate']!));
});

test.after(async () => {
  await opened.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test.run();
