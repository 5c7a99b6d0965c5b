import { sql } from 'drizzle-orm';
import { commitsWith, sendWithCommit } from '../db/begin.ts';
import type { Db } from '../db/open.ts';
import type { timeSlots } from '../db/schema/index.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Slot = typeof timeSlots.$inferSelect;

/**
 * A sale's places: the rows every buyer of a day queues on.
 * - `quota`: a channel's daily quota (`null`: none; the day's count is still kept);
 * - `slot`: a time slot's places, a window's (`walkIn`: the walk-in share first, then the rest)
 *   or anyone else's (the quota less the walk-in share);
 * - `capacity`: a ticket type's day capacity (`cap`: the type's, a day's own override wins).
 */
export type Place =
  | { kind: 'quota'; channelId: number; day: string; n: number; quota: number | null }
  | { kind: 'slot'; site: string; venue: string; day: string; from: string; persons: number; walkIn: boolean }
  | { kind: 'capacity'; typeId: number; day: string; persons: number; cap: number };

/** What takePlaces did: the first place refused (its index; -1: all taken), and the slot taken. */
export interface Taken { failed: number; slot: Slot | undefined }

/**
 * Takes the places in the order given, in one statement (migration 0034 `take_places`), in
 * the caller's transaction. Each is a conditional write: concurrent sellers queue on its row,
 * and the one that would go past the limit is refused. The first refusal stops it; the caller
 * then rolls back (what was taken before it goes with the rollback). One statement instead of
 * one per place: the first row taken is held through one round trip to HQ, not through one per
 * place (bench:peak). Every sale takes its places in the same order (quota, slot, the types by
 * id), so two sales never wait on each other's rows crosswise.
 * `last`: nothing follows in the transaction; on a Postgres server the commit then goes in the
 * same round trip (cloud/db/begin.ts sendWithCommit).
 */
export async function takePlaces(tx: Tx, places: readonly Place[], opts: { last?: boolean } = {}): Promise<Taken> {
  if (places.length === 0) return { failed: -1, slot: undefined };
  const json = JSON.stringify(places.map((p) => {
    switch (p.kind) {
      case 'quota': return { k: 'quota', channel: p.channelId, day: p.day, n: p.n, quota: p.quota };
      case 'slot': return { k: 'slot', site: p.site, venue: p.venue, day: p.day, from: p.from, persons: p.persons, walkIn: p.walkIn };
      case 'capacity': return { k: 'capacity', type: p.typeId, day: p.day, persons: p.persons, cap: p.cap };
    }
  }));
  if (opts.last && commitsWith(tx)) {
    // The transaction's last statement, sent with its commit (migration 0035; cloud/db/begin.ts):
    // the first row taken is held through this one round trip only. A refusal is raised (the
    // commit skipped) and read back from its detail; the caller's transaction is open again
    // for the reads its answer needs, and rolled back when it throws.
    try {
      const [res] = await sendWithCommit(tx, (lit) => `select take_places_or_refuse(${lit(json)}::jsonb) as slot`);
      return { failed: -1, slot: slotOf((res?.rows[0] as { slot?: unknown } | undefined)?.slot) };
    } catch (err) {
      const e = err as { code?: string; detail?: string };
      if (e.code !== 'TKP01' || !e.detail) throw err;
      const d = JSON.parse(e.detail) as { failed: number; slot: unknown };
      return { failed: d.failed - 1, slot: slotOf(d.slot) };
    }
  }
  const res = await tx.execute(sql`select failed, slot from take_places(${json}::jsonb)`);
  const row = ((res as unknown as { rows?: unknown[] }).rows ?? (res as unknown as unknown[]))[0] as { failed: number; slot: unknown };
  return { failed: row.failed - 1, slot: slotOf(row.slot) };
}

/** A time slot's row as take_places answers it (JSON, as an object or its text). */
function slotOf(v: unknown): Slot | undefined {
  const s = typeof v === 'string' ? JSON.parse(v) as Record<string, unknown> : v as Record<string, unknown> | null | undefined;
  return s ? {
    id: Number(s.id), site: String(s.site), venue: String(s.venue), day: String(s.day), slotFrom: String(s.slot_from), slotTo: String(s.slot_to),
    quota: Number(s.quota), walkIn: Number(s.walk_in), sold: Number(s.sold), soldWalkIn: Number(s.sold_walk_in),
  } : undefined;
}
