import { and, asc, eq } from 'drizzle-orm';
import type { CloudContext } from '../context.ts';
import type { Db } from '../db/open.ts';
import { deviceCredentials, devices } from '../db/schema/index.ts';
import { appendAudit, auditedTx } from '../audit/chain.ts';

export type IssuedRole = 'gate' | 'kiosk' | 'hub' | 'pos' | 'handheld';

/** A handheld speaks HTTP only: it has no account at a broker. */
export function onBroker<T extends { role: IssuedRole }>(d: T): d is T & { role: Exclude<IssuedRole, 'handheld'> } {
  return d.role !== 'handheld';
}

/** Records that a device's credential was handed out (idempotent: the first time is kept). */
export async function recordIssued(db: Db, role: IssuedRole, site: string, device: string, by?: { actor: string; at: number }): Promise<void> {
  await auditedTx(db, async (tx) => {
    await tx.insert(deviceCredentials).values({ role, site, device }).onConflictDoNothing();
    // Every hand-out is recorded (who saw the secret, when); the secret itself never is.
    if (by) await appendAudit(tx, { at: by.at, actor: by.actor, action: 'device_credential', subject: `${site}/${device}`, body: { role } });
  });
}

/**
 * Every credential HQ handed out (of one device, if named), oldest first, with whether it
 * still stands: HQ has that device provisioned, active, in that role.
 */
export async function listIssued(db: Db, of?: { site: string; device: string }): Promise<{ role: IssuedRole; site: string; device: string; active: boolean }[]> {
  const rows = await db.select({ issued: deviceCredentials, role: devices.role, active: devices.active, provisionedAt: devices.provisionedAt })
    .from(deviceCredentials)
    .leftJoin(devices, and(eq(devices.site, deviceCredentials.site), eq(devices.device, deviceCredentials.device)))
    .where(of ? and(eq(deviceCredentials.site, of.site), eq(deviceCredentials.device, of.device)) : undefined)
    .orderBy(asc(deviceCredentials.issuedAt));
  return rows.map((r) => ({
    role: r.issued.role as IssuedRole, site: r.issued.site, device: r.issued.device,
    active: r.provisionedAt !== null && r.active === true && r.role === r.issued.role,
  }));
}

/**
 * An external broker's accounts of a device follow HQ's record of it: switched off, or
 * provisioned in another role, its issued credentials are disabled there; back, enabled.
 */
export async function brokerAccountsFollow(ctx: CloudContext, site: string, device: string): Promise<void> {
  const accounts = ctx.brokerAccounts;
  if (!accounts) return;
  for (const d of (await listIssued(ctx.db, { site, device })).filter(onBroker)) {
    await accounts.register({ ...d, ...ctx.deviceAuth.issue(d.role, d.site, d.device) })
      .catch((err: Error) => ctx.log.warn({ site, device, err: err.message }, 'broker account not brought up to date yet; it will be on the next connect'));
  }
}
