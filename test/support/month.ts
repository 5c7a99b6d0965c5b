/**
 * A seeded month of business (cloud/reports/testing/seed.ts) in a PGlite data dir, with its
 * payments in the audit chain, and every report of it read through HQ's app: what the move
 * to a server must keep (suite db-move and bench:move).
 */
import { randomBytes } from 'node:crypto';
import { asc } from 'drizzle-orm';
import { createApp } from '../../cloud/app.ts';
import { ensureAdmin } from '../../cloud/auth/service.ts';
import { loadCloudConfig } from '../../cloud/config.ts';
import type { CloudContext } from '../../cloud/context.ts';
import { payments } from '../../cloud/db/schema/index.ts';
import type { Db } from '../../cloud/db/open.ts';
import { DeviceAuth } from '../../cloud/devices/auth.ts';
import { loadIssuerKey } from '../../cloud/keys/issuer.ts';
import { appendAudit, auditedTx, paymentRecord } from '../../cloud/office/audit.ts';
import { REPORTS } from '../../cloud/reports/registry.ts';
import { loadMonth, makeMonth } from '../../cloud/reports/testing/seed.ts';
import { changeLogId } from '../../cloud/sync/changes.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { startOfBusinessDay } from '../../shared/time/zone.ts';

export const TZ = 'Asia/Shanghai';
/** HQ's clock while reading reports: mid-month, so in-park has something to count. */
export const AT = startOfBusinessDay('2026-10-15', TZ) + 14.5 * 3_600_000;

/** Seeds the month and chains its payments into the audit log, as the windows would have. */
export async function seedAuditedMonth(db: Db, sales: number, entries: number) {
  const month = makeMonth({ month: '2026-10-01', sales, entries, timeZone: TZ });
  await loadMonth(db, month);
  const all = await db.select().from(payments).orderBy(asc(payments.createdAt), asc(payments.id));
  for (let i = 0; i < all.length; i += 1000) {
    await auditedTx(db, async (tx) => {
      for (const p of all.slice(i, i + 1000)) await appendAudit(tx, { at: p.createdAt.getTime(), actor: 'seed', action: 'payment', subject: p.id, body: paymentRecord(p) });
    });
  }
  return month;
}

/** Every report over the month, as HQ's app answers it (columns, rows, totals), by name. */
export async function readReports(db: Db, dataDir: string): Promise<Record<string, unknown>> {
  const ctx: CloudContext = {
    config: loadCloudConfig({ dataDir, timeZone: TZ }, {}), db, changeLog: await changeLogId(db),
    key: await loadIssuerKey(db, `${dataDir}/keys`), log: silentLogger, deviceAuth: new DeviceAuth(randomBytes(32), false),
    now: () => AT, notify: () => undefined, publishDesired: () => undefined, publish: () => undefined,
  };
  const app = createApp(ctx);
  await ensureAdmin(db, 'month-password');
  const login = await app.request('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'month-password' }) });
  const { token } = (await login.json()) as { token: string };
  const out: Record<string, unknown> = {};
  for (const def of REPORTS) {
    const res = await app.request(`/api/v1/reports/${def.name}?from=2026-10-01&to=2026-10-31`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`${def.name}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { columns: unknown; rows: unknown; totals: unknown };
    out[def.name] = { columns: body.columns, rows: body.rows, totals: body.totals };
  }
  return out;
}
