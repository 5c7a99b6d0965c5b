import { asc } from 'drizzle-orm';
import type { Db } from '../db/open.ts';
import { deviceCredentials } from '../db/schema/index.ts';

export type IssuedRole = 'gate' | 'kiosk' | 'hub';

/** Records that a device's credential was handed out (idempotent: the first time is kept). */
export async function recordIssued(db: Db, role: IssuedRole, site: string, device: string): Promise<void> {
  await db.insert(deviceCredentials).values({ role, site, device }).onConflictDoNothing();
}

/** Every credential HQ handed out, oldest first. */
export async function listIssued(db: Db): Promise<{ role: IssuedRole; site: string; device: string }[]> {
  const rows = await db.select().from(deviceCredentials).orderBy(asc(deviceCredentials.issuedAt));
  return rows.map((r) => ({ role: r.role as IssuedRole, site: r.site, device: r.device }));
}
