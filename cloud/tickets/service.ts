import { and, eq, sql, sum } from 'drizzle-orm';
import { z } from 'zod';
import { type CacheCredential } from '../../shared/rules/credential.ts';
import type { EntryQuestion, Verdict } from '../../shared/rules/decide.ts';
import { typeRules, type Mode, type Passage } from '../../shared/rules/model.ts';
import { pickTicket } from '../../shared/rules/pick.ts';
import type { CloudContext } from '../context.ts';
import { entries, lanes, tickets, ticketTypes } from '../db/schema/index.ts';
import { laneMode } from '../gates/service.ts';
import { notFound } from '../http/errors.ts';
import { requireLane, requireSite } from '../sites/service.ts';
import { appendChanges } from '../sync/changes.ts';
import { inParkAt, venueRulesOf } from '../capacity/service.ts';
import { ticketSlot } from '../slots/service.ts';
import { bindCredentialTx, bindRequest, boundTickets, checkCredential, releaseCredentials, ticketCredentials } from './credentials.ts';

export { bindCredentialTx, bindRequest, checkCredential } from './credentials.ts';

const uuid = z.string().uuid();

async function ticketRow(ctx: CloudContext, id: string) {
  if (!uuid.safeParse(id).success) throw notFound('ticket', id);
  const [row] = await ctx.db.select({ ticket: tickets, type: ticketTypes.code, rules: ticketTypes.rules }).from(tickets)
    .innerJoin(ticketTypes, eq(ticketTypes.id, tickets.typeId)).where(eq(tickets.id, id));
  if (!row) throw notFound('ticket', id);
  return row;
}

export async function getTicket(ctx: CloudContext, id: string) {
  const row = await ticketRow(ctx, id);
  const [used] = await ctx.db.select({ entries: sql<number>`count(*)::int`, persons: sum(entries.persons).mapWith(Number) })
    .from(entries).where(and(eq(entries.ticketId, id), eq(entries.kind, 'normal'), eq(entries.direction, 'in')));
  const bound = await ticketCredentials(ctx.db, id);
  return { ...row.ticket, type: row.type, credentials: bound, used: { entries: used?.entries ?? 0, persons: used?.persons ?? 0 } };
}

/** Binds a barcode, card UID or ID card number to a ticket, so gates can resolve it from cache. */
export async function bindCredential(ctx: CloudContext, ticketId: string, input: z.infer<typeof bindRequest>) {
  const row = await ticketRow(ctx, ticketId);
  const kind: CacheCredential = input.kind;
  checkCredential(kind, input.value);
  const value = await ctx.db.transaction((tx) => bindCredentialTx(tx, row.ticket.site, ticketId, kind, input.value, { now: ctx.now() }));
  ctx.notify(row.ticket.site);
  return { ticketId, kind, value };
}

/** POST /tickets/:id/revoke */
export const revokeRequest = z.strictObject({ reason: z.enum(['refunded', 'lost', 'reissued', 'cancelled']) });

/** Revokes a ticket at once; gates refuse it (and drop its cards and ID numbers) from their next pull. */
export async function revokeTicket(ctx: CloudContext, ticketId: string, reason: z.infer<typeof revokeRequest>['reason']) {
  const row = await ticketRow(ctx, ticketId);
  await ctx.db.transaction(async (tx) => {
    await tx.update(tickets).set({ revokedReason: reason }).where(eq(tickets.id, ticketId));
    await appendChanges(tx, row.ticket.site, [{ kind: 'revoke', ticketId, reason }]);
    await releaseCredentials(tx, row.ticket.site, [ticketId], reason, ctx.now());
  });
  ctx.notify(row.ticket.site);
  return { ticketId, revoked: reason };
}

/** GET /tickets/:id/explain */
export const explainQuery = z.object({
  lane: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('lane-1'),
  direction: z.enum(['in', 'out']).default('in'),
  at: z.coerce.number().int().optional(),
  persons: z.coerce.number().int().min(1).max(1000).optional(),
});

/** POST /tickets/explain: the same, for whatever a card UID, barcode or ID card number stands for. */
export const explainCredentialRequest = z.strictObject({
  kind: bindRequest.shape.kind,
  value: bindRequest.shape.value,
  site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  lane: explainQuery.shape.lane,
  direction: explainQuery.shape.direction,
  at: z.number().int().optional(),
  persons: explainQuery.shape.persons,
});

type Explained = { verdict: Verdict; mode: Mode; device: string | null };

/** The engine's question about one ticket at a lane, from HQ's database. */
async function questionFor(ctx: CloudContext, ticketId: string, q: z.infer<typeof explainQuery>, site: { lane: EntryQuestion['lane']; siteLanes: EntryQuestion['lane'][]; mode: Mode }): Promise<EntryQuestion> {
  const row = await ticketRow(ctx, ticketId);
  const history: Passage[] = (await ctx.db.select().from(entries).where(eq(entries.ticketId, ticketId))).map((e) => ({
    at: e.correctedTime.getTime(), lane: e.lane, venue: e.venue, direction: e.direction as 'in' | 'out',
    kind: e.kind as Passage['kind'], persons: e.persons,
  }));
  const t = row.ticket;
  const now = q.at ?? ctx.now();
  const venue = await venueRulesOf(ctx.db, t.site, site.lane.venue);
  const slot = await ticketSlot(ctx.db, ticketId);
  return {
    facts: { ticketId, typeId: t.typeId, validFrom: t.validFrom.getTime() / 1000, validUntil: t.validUntil.getTime() / 1000, persons: t.persons, entries: t.entries },
    type: typeRules.parse(row.rules), lane: site.lane, direction: q.direction, mode: site.mode, revoked: t.revokedReason, history,
    persons: q.persons, now, tz: ctx.config.timeZone, siteLanes: site.siteLanes,
    ...(slot ? { slot } : {}),
    ...(venue ? { venue } : {}),
    // HQ counts from every entry it holds: never stale (a gate's offline count is its own).
    ...(venue?.capacity !== undefined ? { inPark: { count: await inParkAt(ctx.db, t.site, site.lane.venue, now, ctx.config.timeZone), stale: false } } : {}),
  };
}

/** The named lane of a site (404 if it has none such), every lane of it, and the mode of the gate serving that lane. */
async function laneContext(ctx: CloudContext, site: string, laneId: string) {
  const lane = await requireLane(ctx.db, site, laneId);
  const siteLanes = (await ctx.db.select().from(lanes).where(eq(lanes.site, site))).map((l) => l.rules);
  const { mode, device } = await laneMode(ctx, site, laneId);
  return { lane, siteLanes, mode, device };
}

/**
 * What a gate at `lane` would decide for this ticket at `at`, from everything HQ knows:
 * the same rule engine the gates run, fed from the database instead of a device cache, in
 * the mode of the gate that serves that lane.
 */
export async function explainTicket(ctx: CloudContext, ticketId: string, q: z.infer<typeof explainQuery>): Promise<Explained> {
  const row = await ticketRow(ctx, ticketId);
  const site = await laneContext(ctx, row.ticket.site, q.lane);
  const question = await questionFor(ctx, ticketId, q, site);
  const { verdict } = pickTicket([question]);
  return { verdict, mode: site.mode, device: site.device };
}

/**
 * What a gate at `lane` would decide for a card UID, barcode or ID card number: every live
 * ticket it stands for, taken in the gate's order (shared/rules/pick.ts); says which.
 */
export async function explainCredential(ctx: CloudContext, input: z.infer<typeof explainCredentialRequest>): Promise<Explained & { ticketId: string | null; among: number }> {
  const siteId = input.site ?? ctx.config.site;
  await requireSite(ctx.db, siteId);
  const site = await laneContext(ctx, siteId, input.lane);
  const ids = await boundTickets(ctx.db, input.kind, input.value);
  const mine = (await Promise.all(ids.map((id) => ticketRow(ctx, id)))).filter((r) => r.ticket.site === siteId).map((r) => r.ticket.id);
  if (mine.length === 0) return { verdict: { admit: false, reason: 'unknown', detail: {} }, mode: site.mode, device: site.device, ticketId: null, among: 0 };
  const questions = await Promise.all(mine.map((id) => questionFor(ctx, id, input, site)));
  const pick = pickTicket(questions);
  return { verdict: pick.verdict, mode: site.mode, device: site.device, ticketId: pick.chosen.facts.ticketId, among: pick.among };
}
