import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import ExcelJS from 'exceljs';
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
import { freshCloudDataDir } from '../../test/support/pglite.ts';
import { freshPostgres } from '../../test/support/cloud.ts';
import { TICKET_REPORTS } from './registry.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { startOfBusinessDay } from '../../shared/time/zone.ts';
import { yuanText } from './format.ts';
import { expectedReports, sorted } from './testing/expected.ts';
import { loadMonth, makeMonth } from './testing/seed.ts';

// A small month in a zone with a DST change inside it (New York, 2026-11-01: 01:00-02:00
// happens twice), through app.request(); formats, bad input and who may ask.
const TZ = 'America/New_York';
const dataDir = await freshCloudDataDir();
const opened = await openDb({ pgliteDir: `${dataDir}/pglite` });
const inParkAt = startOfBusinessDay('2026-11-20', TZ) + 15 * 3_600_000;
const ctx: CloudContext = {
  config: loadCloudConfig({ dataDir, timeZone: TZ }, {}), db: opened.db, changeLog: await changeLogId(opened.db),
  key: await loadIssuerKey(opened.db, `${dataDir}/keys`), log: silentLogger, deviceAuth: new DeviceAuth(randomBytes(32), false),
  now: () => inParkAt, notify: () => undefined, publishDesired: () => undefined, publish: () => undefined,
};
const app = createApp(ctx);
await ensureAdmin(opened.db, 'admin-password');
const tokenOf = async (username: string, password: string) => {
  const res = await app.request('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ username, password }) });
  return ((await res.json()) as { token: string }).token;
};
const admin = await tokenOf('admin', 'admin-password');
const call = (path: string, token: string | null = admin) => app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const get = async (path: string, token: string | null = admin) => {
  const res = await call(path, token);
  return { status: res.status, body: (await res.json()) as any };
};

const month = makeMonth({ month: '2026-11-01', sales: 3000, entries: 6000, timeZone: TZ, seed: 7 });
await loadMonth(opened.db, month);
const expected = expectedReports(month, { inParkAt });
const NOV = 'from=2026-11-01&to=2026-11-30';

test('in a zone with a DST change, days and hours are local ones', async () => {
  assert.is(month.end - month.start, 30 * 86_400_000 + 3_600_000); // November 2026 has one 25-hour day
  for (const name of ['sales-by-day', 'groups', 'entries-by-hour', 'sales-by-seller', 'in-park']) {
    const r = await get(`/api/v1/reports/${name}?${NOV}`);
    assert.is(r.status, 200);
    assert.equal(sorted(r.body.rows), sorted(expected[name]!), name);
  }
  const day = (await get(`/api/v1/reports/sales-by-day?${NOV}`)).body;
  assert.is(day.rows.length, 30);
  assert.is(day.timeZone, TZ);
  assert.equal([day.from, day.to], ['2026-11-01', '2026-11-30']);
});

test('GET /reports lists every report', async () => {
  const r = await get('/api/v1/reports');
  assert.is(r.status, 200);
  assert.ok(r.body.reports.length >= 14);
  assert.ok(r.body.reports.some((x: { name: string; ranged: boolean }) => x.name === 'in-park' && !x.ranged));
});

test('CSV: UTF-8 with BOM, Chinese header, fen and yuan columns, quoting, formula guard, totals', async () => {
  const res = await call(`/api/v1/reports/sales-by-customer.csv?${NOV}`);
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/csv; charset=utf-8/);
  const cd = res.headers.get('content-disposition')!;
  assert.match(cd, /^attachment; filename="sales-by-customer_2026-11-01_2026-11-30\.csv"; filename\*=UTF-8''/);
  assert.ok(decodeURIComponent(cd.split("UTF-8''")[1]!).startsWith('客户销售_'));
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const text = bytes.subarray(3).toString('utf8');
  const lines = text.split('\r\n');
  assert.is(lines.at(-1), '');
  assert.is(lines[0], '客户,客户类别,订单数,销售笔数,数量,人数,销售额(分),销售额(元),退款(分),退款(元),挂账/签单(分),挂账/签单(元)');
  const json = (await get(`/api/v1/reports/sales-by-customer?${NOV}`)).body;
  assert.is(lines.length, json.rows.length + 3); // header, rows, totals, final CRLF
  const quoted = lines.find((l) => l.startsWith('"""海天"", 国际旅行社"'));
  assert.ok(quoted, 'a name with quotes and a comma is quoted');
  assert.ok(lines.some((l) => l.startsWith("'=市总工会,")), 'a name that looks like a formula is defused');
  const walkIn = json.rows.find((r: { customer: string }) => r.customer === '散客');
  assert.ok(lines.includes(`散客,walk_in,${walkIn.orders},${walkIn.lines},${walkIn.quantity},${walkIn.visitors},${walkIn.grossFen},${yuanText(walkIn.grossFen)},${walkIn.refundedFen},${yuanText(walkIn.refundedFen)},${walkIn.creditFen},${yuanText(walkIn.creditFen)}`));
  assert.ok(lines.at(-2)!.startsWith(`合计,,${json.totals.orders},`));
  const en = await (await call(`/api/v1/reports/sales-by-customer?${NOV}&format=csv&lang=en`)).text();
  assert.ok(en.replace(/^\uFEFF/, '').startsWith('Customer,Category,Orders,Sale lines,Quantity,Visitors,Gross (fen),Gross (yuan),'));
});

test('yuan text is exact for any fen amount', () => {
  assert.equal([0, 5, 99, 100, 12345, -7, -12345, 900719925474099].map(yuanText), ['0.00', '0.05', '0.99', '1.00', '123.45', '-0.07', '-123.45', '9007199254740.99']);
});

test('XLSX: header row, figures, a yuan column with a number format, totals', async () => {
  const res = await call(`/api/v1/reports/sales-by-type?${NOV}&format=xlsx&lang=en`);
  assert.is(res.status, 200);
  assert.is(res.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  assert.match(res.headers.get('content-disposition')!, /filename="sales-by-type_2026-11-01_2026-11-30\.xlsx"/);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(await res.arrayBuffer());
  const ws = wb.worksheets[0]!;
  const header = (ws.getRow(1).values as unknown[]).slice(1);
  assert.equal(header.slice(0, 9), ['Type code', 'Ticket type', 'Category', 'Sale lines', 'Quantity', 'Visitors', 'Gross (fen)', 'Gross (yuan)', 'Average price (fen)']);
  const json = (await get(`/api/v1/reports/sales-by-type?${NOV}`)).body;
  assert.is(ws.rowCount, json.rows.length + 2);
  const first = ws.getRow(2);
  assert.is(first.getCell(1).value, json.rows[0].type);
  assert.is(first.getCell(7).value, json.rows[0].grossFen);
  assert.is(first.getCell(8).value, json.rows[0].grossFen / 100);
  assert.is(first.getCell(8).numFmt, '#,##0.00');
  const total = ws.getRow(ws.rowCount);
  assert.is(total.getCell(1).value, 'Total');
  assert.is(total.getCell(7).value, json.totals.grossFen);
  assert.is(total.getCell(9).value, null); // an average is not summed
});

test('in-park is for an instant: `at` moves it, from/to do not apply', async () => {
  const noon = startOfBusinessDay('2026-11-20', TZ) + 12 * 3_600_000;
  const r = await get(`/api/v1/reports/in-park?at=${new Date(noon).toISOString()}`);
  assert.is(r.status, 200);
  assert.is(r.body.from, null);
  assert.equal(sorted(r.body.rows), sorted(expectedReports(month, { inParkAt: noon })['in-park']!));
  const early = await get(`/api/v1/reports/in-park?at=${new Date(startOfBusinessDay('2026-11-20', TZ) + 60_000).toISOString()}`);
  assert.equal(early.body.rows, []);
});

test('a range without business gives zero rows for every day and empty lists', async () => {
  const day = await get('/api/v1/reports/sales-by-day?from=2025-02-01&to=2025-02-28');
  assert.is(day.body.rows.length, 28);
  assert.ok(day.body.rows.every((r: { lines: number; netFen: number }) => r.lines === 0 && r.netFen === 0));
  const gate = await get('/api/v1/reports/entries-by-gate?from=2025-02-01&to=2025-02-28');
  assert.equal([gate.body.rows, gate.body.totals.passages], [[], 0]);
  const csv = await (await call('/api/v1/reports/over-use.csv?from=2025-02-01&to=2025-02-28')).text();
  assert.is(csv.split('\r\n').length, 2);
});

test('no range: today, in the site zone', async () => {
  const r = await get('/api/v1/reports/sales-by-day');
  assert.equal([r.body.from, r.body.to], ['2026-11-20', '2026-11-20']);
});

test('bad input gets a 4xx with a clear JSON error', async () => {
  const cases: [string, number, string][] = [
    ['/api/v1/reports/sales-by-day?from=2026-11-30&to=2026-11-01', 400, 'invalid_range'],
    ['/api/v1/reports/sales-by-day?from=2025-01-01&to=2026-01-02', 400, 'range_too_long'],
    ['/api/v1/reports/sales-by-day?from=2026-02-30&to=2026-03-01', 400, 'invalid_date'],
    ['/api/v1/reports/sales-by-day?from=yesterday', 400, 'invalid_date'],
    ['/api/v1/reports/sales-by-day?from=2026-1-1', 400, 'invalid_date'],
    ['/api/v1/reports/no-such-report?from=2026-11-01', 404, 'unknown_report'],
    ['/api/v1/reports/no-such-report.csv', 404, 'unknown_report'],
    ['/api/v1/reports/sales-by-day?format=pdf', 400, 'invalid_request'],
    ['/api/v1/reports/sales-by-day?lang=fr', 400, 'invalid_request'],
    ['/api/v1/reports/sales-by-day?since=2026-11-01', 400, 'invalid_request'],
    ['/api/v1/reports/sales-by-day?site=a%20b', 400, 'invalid_request'],
    ['/api/v1/reports/in-park?at=noon', 400, 'invalid_request'],
    ['/api/v1/reports/sales-by-day.csv?format=xlsx', 400, 'invalid_format'],
  ];
  for (const [path, status, code] of cases) {
    const r = await get(path);
    assert.is(r.status, status, path);
    assert.is(r.body.error.code, code, path);
    assert.type(r.body.error.message, 'string');
  }
  const year = await get('/api/v1/reports/sales-by-day?from=2024-01-01&to=2024-12-31'); // 366 days: allowed
  assert.is(year.status, 200);
  assert.is(year.body.rows.length, 366);
});

test('administrators, finance, supervisors and marketing may read reports; sellers may not', async () => {
  for (const [username, roles] of [['fin', ['finance']], ['sup', ['supervisor']], ['sel', ['seller']], ['mkt', ['marketing']]] as const) {
    const created = await app.request('/api/v1/users', {
      method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username, displayName: username, roles, password: 'a-long-password-1' }),
    });
    assert.is(created.status, 201);
  }
  for (const [username, status] of [['fin', 200], ['sup', 200], ['sel', 403], ['mkt', 200]] as const) {
    const token = await tokenOf(username, 'a-long-password-1');
    assert.is((await call(`/api/v1/reports/sales-by-day?${NOV}`, token)).status, status, username);
    assert.is((await call(`/api/v1/reports/entries-by-hour.xlsx?${NOV}`, token)).status, status, username);
  }
  assert.is((await call('/api/v1/reports/sales-by-day', null)).status, 401);
});

test('the same figures on a Postgres server (TEST_DATABASE_URL; skipped without it)', async () => {
  const pg = await freshPostgres();
  if (!pg) {
    console.warn('skipped: TEST_DATABASE_URL not set');
    return;
  }
  const server = await openDb({ databaseUrl: pg.url, pgliteDir: `${dataDir}/unused` });
  try {
    const pgApp = createApp({ ...ctx, db: server.db });
    await ensureAdmin(server.db, 'admin-password');
    const login = await pgApp.request('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'admin-password' }) });
    const token = ((await login.json()) as { token: string }).token;
    const small = makeMonth({ month: '2026-11-01', sales: 1500, entries: 3000, timeZone: TZ, seed: 11 });
    await loadMonth(server.db, small);
    const want = expectedReports(small, { inParkAt });
    for (const def of TICKET_REPORTS) {
      const res = await pgApp.request(`/api/v1/reports/${def.name}?${NOV}`, { headers: { authorization: `Bearer ${token}` } });
      assert.is(res.status, 200, def.name);
      assert.equal(sorted(((await res.json()) as { rows: [] }).rows), sorted(want[def.name]!), def.name);
    }
  } finally {
    await server.close();
    await pg.drop();
  }
});

test.after(async () => {
  await opened.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test.run();
