import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { CACHE_CREDENTIALS, isValidIdNumber, normaliseCredential, storedCredential, type CacheCredential } from '../../shared/rules/credential.ts';
import { consumedAt, grantAt } from '../../shared/rules/decide.ts';
import { typeRules, type Passage } from '../../shared/rules/model.ts';
import type { Db } from '../db/open.ts';
import { credentials, entries, tickets, ticketTypes } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { appendChanges } from '../sync/changes.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** POST /tickets/:id/credentials */
export const bindRequest = z.strictObject({ kind: z.enum(CACHE_CREDENTIALS), value: z.string().min(4).max(40) });

export type ReleaseReason = 'refunded' | 'lost' | 'reissued' | 'cancelled' | 'used_up' | 'expired' | 'moved';

/**
 * Checks a credential value and gives the form HQ keeps (ID numbers as their lookup hash);
 * a bad one is a 400 with a clear code.
 */
export function checkCredential(kind: CacheCredential, raw: string): string {
  const value = normaliseCredential(kind, raw);
  if (kind === 'idcard' && !isValidIdNumber(value)) throw new AppError('invalid_id_number', '身份证号无效 / not a valid ID card number (GB 11643 check digit)');
  if (kind === 'card' && !/^[0-9A-F]{8,20}$/.test(value)) throw new AppError('invalid_card_uid', '卡号无效 / a card UID is 8 to 20 hex digits');
  if (kind === 'barcode' && !/^[0-9A-Za-z-]{4,40}$/.test(value)) throw new AppError('invalid_barcode', '条码无效 / a barcode is 4 to 40 letters, digits or -');
  return storedCredential(kind, value);
}

/**
 * Why a ticket no longer needs its bindings, or undefined while it may still admit: revoked
 * (refunded, lost...), expired, or every entry it grants used (at every venue it grants;
 * a ticket with re-entry keeps its binding until it expires, its holder may come back).
 */
export async function ticketEnded(tx: Tx | Db, ticketId: string, now: number): Promise<ReleaseReason | undefined> {
  const [row] = await tx.select({ t: tickets, rules: ticketTypes.rules }).from(tickets).innerJoin(ticketTypes, eq(ticketTypes.id, tickets.typeId)).where(eq(tickets.id, ticketId));
  if (!row) return 'cancelled';
  if (row.t.revokedReason) return (['refunded', 'lost', 'reissued', 'cancelled'].includes(row.t.revokedReason) ? row.t.revokedReason : 'cancelled') as ReleaseReason;
  if (row.t.validUntil.getTime() <= now) return 'expired';
  const rules = typeRules.parse(row.rules);
  if (rules.reentry) return undefined;
  const facts = { ticketId, typeId: row.t.typeId, validFrom: 0, validUntil: 0, persons: row.t.persons, entries: row.t.entries };
  const venues = rules.venues?.map((v) => v.venue) ?? ['main'];
  if (venues.some((v) => grantAt(facts, rules, v) === 0)) return undefined; // unlimited somewhere
  const history: Passage[] = (await tx.select().from(entries).where(eq(entries.ticketId, ticketId))).map((e) => ({
    at: e.correctedTime.getTime(), lane: e.lane, venue: e.venue, direction: e.direction as 'in' | 'out', kind: e.kind as Passage['kind'], persons: e.persons,
  }));
  return venues.every((v) => consumedAt(history, v) >= row.t.persons * (grantAt(facts, rules, v) ?? 0)) ? 'used_up' : undefined;
}

/**
 * Ends the live bindings of these tickets (they were refunded, revoked, reissued...): the
 * values can be bound again, and gates drop them with their next pull (an `unbind` change).
 */
export async function releaseCredentials(tx: Tx, site: string, ticketIds: string[], reason: ReleaseReason, now = Date.now()): Promise<number> {
  if (ticketIds.length === 0) return 0;
  const released = await tx.update(credentials).set({ releasedAt: new Date(now), releaseReason: reason })
    .where(and(inArray(credentials.ticketId, ticketIds), isNull(credentials.releasedAt)))
    .returning({ kind: credentials.kind, value: credentials.value, ticketId: credentials.ticketId });
  await appendChanges(tx, site, released.map((r) => ({ kind: 'unbind' as const, credential: r.kind as CacheCredential, value: r.value, ticketId: r.ticketId })));
  return released.length;
}

/**
 * Binds a credential to a ticket inside the caller's transaction. A card UID or barcode has
 * one live binding: one held by a ticket that has ended (refunded, revoked, used up, expired)
 * is released first, one held by a ticket that may still admit is refused (409). An ID card
 * may hold any number of tickets. `movableFrom`: tickets whose bindings move to this one
 * (a member card renewed or reissued). `stored`: the value is already in HQ's form.
 * Returns the stored value.
 */
export async function bindCredentialTx(tx: Tx, site: string, ticketId: string, kind: CacheCredential, raw: string, opts: { movableFrom?: string[]; stored?: boolean; now?: number } = {}): Promise<string> {
  const value = opts.stored ? raw : checkCredential(kind, raw);
  const now = opts.now ?? Date.now();
  // Two windows binding one card at once: the second waits and then sees the first.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`credential/${kind}/${value}`}))`);
  const live = await tx.select().from(credentials).where(and(eq(credentials.kind, kind), eq(credentials.value, value), isNull(credentials.releasedAt)));
  if (live.some((l) => l.ticketId === ticketId)) return value;
  for (const l of live) {
    if (opts.movableFrom?.includes(l.ticketId)) {
      await releaseOne(tx, l.site, kind, value, l.ticketId, 'moved', now);
      continue;
    }
    if (kind === 'idcard') continue;
    const ended = await ticketEnded(tx, l.ticketId, now);
    if (!ended) throw new AppError('credential_in_use', `${kind} 已绑定其他有效票 / ${kind} ${value} is bound to another ticket that is still valid`, 409, { kind });
    await releaseOne(tx, l.site, kind, value, l.ticketId, ended, now);
  }
  await tx.insert(credentials).values({ kind, value, ticketId, site, boundAt: new Date(now) })
    .onConflictDoUpdate({ target: [credentials.kind, credentials.value, credentials.ticketId], set: { site, boundAt: new Date(now), releasedAt: null, releaseReason: null } });
  await appendChanges(tx, site, [{ kind: 'credential', credential: kind, value, ticketId }]);
  return value;
}

async function releaseOne(tx: Tx, site: string, kind: CacheCredential, value: string, ticketId: string, reason: ReleaseReason, now: number) {
  await tx.update(credentials).set({ releasedAt: new Date(now), releaseReason: reason })
    .where(and(eq(credentials.kind, kind), eq(credentials.value, value), eq(credentials.ticketId, ticketId)));
  await appendChanges(tx, site, [{ kind: 'unbind', credential: kind, value, ticketId }]);
}

/** Moves a ticket's live bindings of these kinds to another ticket (member card renewed or reissued). */
export async function moveCredentials(tx: Tx, site: string, from: string, to: string, kinds: readonly CacheCredential[] = CACHE_CREDENTIALS): Promise<void> {
  const bound = await tx.select().from(credentials).where(and(eq(credentials.ticketId, from), isNull(credentials.releasedAt), inArray(credentials.kind, [...kinds])));
  for (const b of bound) await bindCredentialTx(tx, site, to, b.kind as CacheCredential, b.value, { movableFrom: [from], stored: true });
}

/** The live bindings of a ticket (an ID card shows as its hash: HQ keeps no ID number). */
export async function ticketCredentials(db: Db, ticketId: string) {
  return db.select({ kind: credentials.kind, value: credentials.value }).from(credentials)
    .where(and(eq(credentials.ticketId, ticketId), isNull(credentials.releasedAt)));
}

/** Live bindings of one credential (all the tickets an ID card holds), newest first. */
export async function boundTickets(db: Db, kind: CacheCredential, raw: string): Promise<string[]> {
  const value = checkCredential(kind, raw);
  const rows = await db.select({ ticketId: credentials.ticketId }).from(credentials)
    .where(and(eq(credentials.kind, kind), eq(credentials.value, value), isNull(credentials.releasedAt)));
  return rows.map((r) => r.ticketId);
}

/**
 * Real-name tickets (a type whose medium is the ID card) bought online or at a kiosk are
 * bound to the buyer's ID card, given in HQ's stored form (a booking keeps only the lookup
 * hash); tickets of other types are left as they are. The same ID may already hold tickets
 * for other days: it admits on each ticket's day.
 */
export async function bindRealName(tx: Tx, site: string, storedId: string | null | undefined, ticketIds: string[], now = Date.now()): Promise<number> {
  if (!storedId || ticketIds.length === 0) return 0;
  const realName = await tx.select({ id: tickets.id }).from(tickets).innerJoin(ticketTypes, eq(ticketTypes.id, tickets.typeId))
    .where(and(inArray(tickets.id, ticketIds), eq(ticketTypes.medium, 'id_card')));
  for (const t of realName) await bindCredentialTx(tx, site, t.id, 'idcard', storedId, { stored: true, now });
  return realName.length;
}
