import { randomBytes } from 'node:crypto';
import { DeviceAuth } from '../devices/auth.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { createApp } from '../app.ts';
import { loadCloudConfig } from '../config.ts';
import type { CloudContext } from '../context.ts';
import { openDb } from '../db/open.ts';
import { loadIssuerKey } from '../keys/issuer.ts';
import { changeLogId } from '../sync/changes.ts';
import { ensureAdmin } from '../auth/service.ts';
import { ensureDefaultSite } from '../sites/service.ts';
import { freshCloudDataDir } from '../../test/support/pglite.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { readTicketCode } from '../../shared/code/ticket-code.ts';

// Through app.request(): no socket, the real app and a real PGlite.
const dataDir = await freshCloudDataDir();
const opened = await openDb({ pgliteDir: `${dataDir}/pglite` });
const config = loadCloudConfig({ dataDir }, {});
const notified: string[] = [];
const ctx: CloudContext = {
  config, db: opened.db, changeLog: await changeLogId(opened.db), key: await loadIssuerKey(opened.db, `${dataDir}/keys`), log: silentLogger,
  deviceAuth: new DeviceAuth(randomBytes(32), false), now: () => Date.UTC(2026, 10, 25, 17, 0), notify: (site) => notified.push(site), publishDesired: () => undefined, publish: () => undefined,
};
const app = createApp(ctx);
await ensureAdmin(opened.db, 'admin-password');
await ensureDefaultSite(opened.db, config.site);
const login = await app.request('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'admin-password' }) });
const token = ((await login.json()) as { token: string }).token;
const req = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await app.request(path, {
    method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};

test('a sale returns signed codes valid for the business day in the site zone', async () => {
  assert.is((await req('POST', '/api/v1/ticket-types', { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 })).status, 201);
  const r = await req('POST', '/api/v1/sales', { type: 'adult', quantity: 2 });
  assert.is(r.status, 201);
  assert.is(r.body.totalFen, 24000);
  assert.is(r.body.tickets.length, 2);
  // 17:00 UTC on the 25th is 01:00 on the 26th in Shanghai: valid that whole local day.
  assert.is(r.body.tickets[0].validFrom, '2026-11-25T16:00:00.000Z');
  assert.is(r.body.tickets[0].validUntil, '2026-11-26T16:00:00.000Z');
  const code = readTicketCode(r.body.tickets[0].code, new Map([[ctx.key.keyId, ctx.key.publicKey]]));
  assert.ok(code.ok);
  if (code.ok) assert.is(code.facts.ticketId, r.body.tickets[0].id);
  assert.equal(notified, ['demo']);
  const fetched = await req('GET', `/api/v1/sales/${r.body.id}`);
  assert.equal(fetched.body, r.body);
});

test('bad input gets a 4xx with a clear JSON error and writes nothing', async () => {
  const before = (await req('GET', '/api/v1/sync/changes?site=demo')).body.changes.length;
  const cases: [string, string, unknown, number, string, Record<string, string>?][] = [
    ['POST', '/api/v1/sales', 'not json', 400, 'invalid_json'],
    ['POST', '/api/v1/sales', {}, 400, 'invalid_request'],
    ['POST', '/api/v1/sales', { type: 'adult', quantity: -1 }, 400, 'invalid_request'],
    ['POST', '/api/v1/sales', { type: 'adult', quantity: 0 }, 400, 'invalid_request'],
    ['POST', '/api/v1/sales', { type: 'adult', quantity: 1e12 }, 400, 'invalid_request'],
    ['POST', '/api/v1/sales', { type: 'adult', quantity: 1.5 }, 400, 'invalid_request'],
    ['POST', '/api/v1/sales', { type: 'adult', quantity: '2' }, 400, 'invalid_request'],
    ['POST', '/api/v1/sales', { type: 42, quantity: 1 }, 400, 'invalid_request'],
    ['POST', '/api/v1/sales', { type: 'nosuch', quantity: 1 }, 404, 'not_found'],
    ['POST', '/api/v1/sales', { type: 'adult', quantity: 1, site: '../x' }, 400, 'invalid_request'],
    ['POST', '/api/v1/sales', { type: 'adult', quantity: 1 }, 400, 'invalid_idempotency_key', { 'Idempotency-Key': 'x'.repeat(200) }],
    ['GET', '/api/v1/sales/not-a-uuid', undefined, 404, 'not_found'],
    ['GET', '/api/v1/sales/0190d3a2-7c4e-7a11-9b2c-3d4e5f607182', undefined, 404, 'not_found'],
    ['GET', '/api/v1/tickets/nope', undefined, 404, 'not_found'],
    ['GET', '/api/v1/entries?limit=100000', undefined, 400, 'invalid_request'],
    ['GET', '/api/v1/entries?cursor=garbage', undefined, 400, 'invalid_cursor'],
    ['GET', '/api/v1/sync/changes', undefined, 400, 'invalid_request'],
    ['GET', '/api/v1/sync/changes?site=demo&since=-4', undefined, 400, 'invalid_request'],
    ['POST', '/api/v1/ticket-types', { code: 'Bad Code', name: 'x', priceFen: 1, validityDays: 1, entries: 1, persons: 1 }, 400, 'invalid_request'],
    ['POST', '/api/v1/ticket-types', { code: 'cheap', name: 'x', priceFen: 0.5, validityDays: 1, entries: 1, persons: 1 }, 400, 'invalid_request'],
    ['GET', '/api/v1/nothing-here', undefined, 403, 'forbidden'],
  ];
  for (const [method, path, body, status, code, headers] of cases) {
    const r = await req(method, path, body, headers);
    assert.is(r.status, status, `${method} ${path} ${JSON.stringify(body)}`);
    assert.is(r.body.error.code, code, `${method} ${path}`);
    assert.type(r.body.error.message, 'string');
  }
  assert.is((await req('GET', '/api/v1/sync/changes?site=demo')).body.changes.length, before, 'nothing written');
});

test('the change log pages and resumes from a checkpoint', async () => {
  await req('POST', '/api/v1/sales', { type: 'adult', quantity: 5 });
  const all = (await req('GET', '/api/v1/sync/changes?site=demo&since=0')).body;
  const seen: number[] = [];
  let since = 0;
  for (;;) {
    const page = (await req('GET', `/api/v1/sync/changes?site=demo&since=${since}&limit=2`)).body;
    seen.push(...page.changes.map((c: { seq: number }) => c.seq));
    since = page.next;
    if (!page.more) break;
  }
  assert.equal(seen, all.changes.map((c: { seq: number }) => c.seq));
  assert.is(all.changes[0].kind, 'key', 'the issuer key comes first, so a new gate can verify codes');
  assert.is((await req('GET', '/api/v1/sync/changes?site=elsewhere&since=0')).status, 404, 'a site HQ does not know');
  assert.is((await req('POST', '/api/v1/sites', { id: 'elsewhere', name: '别处' })).status, 201);
  const other = (await req('GET', '/api/v1/sync/changes?site=elsewhere&since=0')).body;
  assert.equal(other.changes.map((c: { kind: string }) => c.kind), ['key', 'type'], 'another site sees keys and types, not our tickets');
});

test.after(async () => {
  await opened.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test.run();
