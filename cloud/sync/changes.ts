import { and, asc, gt, inArray, sql } from 'drizzle-orm';
import type { Change, ChangeBatch, ChangeBody } from '../../shared/sync/messages.ts';
import type { Db } from '../db/open.ts';
import { changes } from '../db/schema/index.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Appends to the down-sync change log inside the caller's transaction. The advisory lock
 * serialises writers until commit, so sequence numbers become visible in order and a device
 * reading since=N can never skip a change that commits late.
 */
export async function appendChanges(tx: Tx | Db, site: string, bodies: ChangeBody[]): Promise<number[]> {
  if (bodies.length === 0) return [];
  await tx.execute(sql`select pg_advisory_xact_lock(7301)`);
  const rows = await tx.insert(changes).values(bodies.map((b) => ({ site, kind: b.kind, body: b }))).returning({ seq: changes.seq });
  return rows.map((r) => r.seq);
}

export async function readChanges(db: Db, site: string, since: number, limit: number): Promise<ChangeBatch> {
  const rows = await db.select().from(changes)
    .where(and(gt(changes.seq, since), inArray(changes.site, [site, '*'])))
    .orderBy(asc(changes.seq)).limit(limit + 1);
  const page = rows.slice(0, limit);
  const more = rows.length > limit;
  const next = page.length ? page[page.length - 1]!.seq : since;
  return {
    since, next, more, serverTime: Date.now(),
    changes: page.map((r) => ({ ...(r.body as ChangeBody), seq: r.seq }) as Change),
  };
}
