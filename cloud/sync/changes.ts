import { randomUUID } from 'node:crypto';
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Change, ChangeBatch, ChangeBody } from '../../shared/sync/messages.ts';
import type { Db } from '../db/open.ts';
import { changes, syncMeta, tickets, ticketTypes as ticketTypesTable } from '../db/schema/index.ts';
import type { TypeRules } from '../../shared/rules/model.ts';
import type { CacheCredential } from '../../shared/rules/credential.ts';
import { scopeToVenues, type VenueLookup } from '../../shared/sync/venues.ts';
import { changePage } from '../../shared/sync/page.ts';

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

/**
 * One page of a site's change log after `since`, by the page rules HQ and the hub share
 * (shared/sync/page.ts): expired tickets skipped, `reset` for a checkpoint from another log
 * or beyond this log's end (HQ was restored from an older backup).
 */
export async function readChanges(db: Db, opts: {
  site: string; since: number; limit: number; log?: string; now: number; logId: string; venues?: readonly string[]; skipKinds?: readonly string[];
  /** How credential values leave HQ (shared/rules/credential.ts keyedCredential); absent: as stored. */
  seal?: (kind: CacheCredential, value: string) => string;
}): Promise<ChangeBatch> {
  const { site, since, limit, now } = opts;
  const src = { log: opts.logId, serverTime: now };
  if (opts.log && opts.log !== opts.logId && since > 0) return changePage(opts, { ...src, rows: [], end: since }) as ChangeBatch;
  const rows = (await db.select().from(changes)
    .where(and(gt(changes.seq, since), inArray(changes.site, [site, '*'])))
    .orderBy(asc(changes.seq)).limit(limit + 1))
    .map((r) => ({ ...(r.body as ChangeBody), seq: r.seq }) as Change);
  let beyondEnd: 'reset' | undefined;
  if (rows.length === 0 && since > 0) {
    const [{ max }] = (await db.select({ max: sql<number>`coalesce(max(${changes.seq}), 0)::int` }).from(changes)) as [{ max: number }];
    if (since > max) beyondEnd = 'reset';
  }
  const lookup = opts.venues ? await hqVenueLookup(db, rows) : undefined;
  const seal = opts.seal;
  const skip = opts.skipKinds ?? [];
  return changePage(opts, { ...src, rows, end: rows.at(limit - 1)?.seq ?? rows.at(-1)?.seq ?? since, beyondEnd }, (page) => {
    let out = lookup ? scopeToVenues(page, opts.venues!, lookup) : page;
    if (skip.length) out = out.filter((c) => !skip.includes(c.kind));
    if (seal) out = out.map((c) => (c.kind === 'credential' || c.kind === 'unbind' ? { ...c, value: seal(c.credential, c.value) } : c));
    return out;
  }) as ChangeBatch;
}

/** What venue scoping (shared/sync/venues.ts) needs to know of a page, from HQ's own tables. */
async function hqVenueLookup(db: Db, page: Change[]): Promise<VenueLookup> {
  const ticketIds = page.flatMap((c) => (c.kind === 'credential' || c.kind === 'face' || c.kind === 'fingerprint' ? [c.ticketId] : []));
  const ticketTypes = new Map<string, number>();
  if (ticketIds.length) {
    for (const t of await db.select({ id: tickets.id, typeId: tickets.typeId }).from(tickets).where(inArray(tickets.id, ticketIds))) ticketTypes.set(t.id, t.typeId);
  }
  const typeIds = [...new Set([...page.flatMap((c) => (c.kind === 'ticket' ? [c.ticket.typeId] : [])), ...ticketTypes.values()])];
  const rules = new Map<number, TypeRules>();
  if (typeIds.length) {
    for (const t of await db.select({ id: ticketTypesTable.id, rules: ticketTypesTable.rules }).from(ticketTypesTable).where(inArray(ticketTypesTable.id, typeIds))) rules.set(t.id, t.rules);
  }
  return { typeRules: (id) => rules.get(id), ticketType: (id) => ticketTypes.get(id) };
}
