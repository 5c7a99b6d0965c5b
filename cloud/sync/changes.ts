import { randomUUID } from 'node:crypto';
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import { changesChecksum } from '../../shared/sync/checksum.ts';
import type { Change, ChangeBatch, ChangeBody } from '../../shared/sync/messages.ts';
import type { Db } from '../db/open.ts';
import { changes, syncMeta, tickets, ticketTypes as ticketTypesTable } from '../db/schema/index.ts';
import type { TypeRules } from '../../shared/rules/model.ts';
import type { CacheCredential } from '../../shared/rules/credential.ts';
import { scopeToVenues } from '../../shared/sync/venues.ts';

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

/** The change log's identity, made once per database. */
export async function changeLogId(db: Db): Promise<string> {
  await db.insert(syncMeta).values({ key: 'log', value: randomUUID() }).onConflictDoNothing();
  const [row] = await db.select().from(syncMeta).where(eq(syncMeta.key, 'log'));
  return row!.value;
}

/** A ticket that expired this long ago is of no use to a gate: it is left out of the batches. */
const EXPIRED_GRACE_S = 86_400;

/**
 * One page of a site's change log after `since`. Expired tickets are skipped (the checkpoint
 * still moves past them). A checkpoint from another log, or beyond this log's end (HQ was
 * restored from an older backup), gets `reset`: the device drops its cache and starts over.
 */
export async function readChanges(db: Db, opts: {
  site: string; since: number; limit: number; log?: string; now: number; logId: string; venues?: readonly string[]; skipKinds?: readonly string[];
  /** How credential values leave HQ (shared/rules/credential.ts keyedCredential); absent: as stored. */
  seal?: (kind: CacheCredential, value: string) => string;
}): Promise<ChangeBatch> {
  const { site, since, limit, now } = opts;
  const log = opts.logId;
  const base = { log, since, serverTime: now };
  if (opts.log && opts.log !== log && since > 0) return { ...base, reset: true, next: 0, more: true, changes: [], checksum: changesChecksum([]) };
  const rows = await db.select().from(changes)
    .where(and(gt(changes.seq, since), inArray(changes.site, [site, '*'])))
    .orderBy(asc(changes.seq)).limit(limit + 1);
  if (rows.length === 0 && since > 0) {
    const [{ max }] = (await db.select({ max: sql<number>`coalesce(max(${changes.seq}), 0)::int` }).from(changes)) as [{ max: number }];
    if (since > max) return { ...base, reset: true, next: 0, more: true, changes: [], checksum: changesChecksum([]) };
  }
  const page = rows.slice(0, limit);
  const more = rows.length > limit;
  const next = page.length ? page[page.length - 1]!.seq : since;
  const horizon = now / 1000 - EXPIRED_GRACE_S;
  let out = page
    .map((r) => ({ ...(r.body as ChangeBody), seq: r.seq }) as Change)
    .filter((c) => (c.kind !== 'ticket' || c.ticket.validUntil > horizon) && (c.kind !== 'booking' || c.booking.validUntil > horizon)
      && (c.kind !== 'face' || c.validUntil > horizon));
  if (opts.venues) out = await scopeAtHq(db, out, opts.venues);
  if (opts.skipKinds?.length) out = out.filter((c) => !opts.skipKinds!.includes(c.kind));
  const seal = opts.seal;
  if (seal) out = out.map((c) => (c.kind === 'credential' || c.kind === 'unbind' ? { ...c, value: seal(c.credential, c.value) } : c));
  return { ...base, next, more, changes: out, checksum: changesChecksum(out) };
}

/** Venue scoping (shared/sync/venues.ts) with HQ's own tables for the lookups. */
async function scopeAtHq(db: Db, page: Change[], venues: readonly string[]): Promise<Change[]> {
  const ticketIds = page.flatMap((c) => (c.kind === 'credential' || c.kind === 'face' ? [c.ticketId] : []));
  const ticketTypes = new Map<string, number>();
  if (ticketIds.length) {
    for (const t of await db.select({ id: tickets.id, typeId: tickets.typeId }).from(tickets).where(inArray(tickets.id, ticketIds))) ticketTypes.set(t.id, t.typeId);
  }
  const typeIds = [...new Set([...page.flatMap((c) => (c.kind === 'ticket' ? [c.ticket.typeId] : [])), ...ticketTypes.values()])];
  const rules = new Map<number, TypeRules>();
  if (typeIds.length) {
    for (const t of await db.select({ id: ticketTypesTable.id, rules: ticketTypesTable.rules }).from(ticketTypesTable).where(inArray(ticketTypesTable.id, typeIds))) rules.set(t.id, t.rules);
  }
  return scopeToVenues(page, venues, { typeRules: (id) => rules.get(id), ticketType: (id) => ticketTypes.get(id) });
}
