import { and, eq, sql, sum } from 'drizzle-orm';
import { z } from 'zod';
import { CACHE_CREDENTIALS, isValidIdNumber, normaliseCredential, type CacheCredential } from '../../shared/rules/credential.ts';
import { decideEntry, type Verdict } from '../../shared/rules/decide.ts';
import { laneRules, typeRules, type Mode, type Passage } from '../../shared/rules/model.ts';
import type { CloudContext } from '../context.ts';
import { credentials, desiredModes, entries, lanes, tickets, ticketTypes } from '../db/schema/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import { appendChanges } from '../sync/changes.ts';

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
  const bound = await ctx.db.select({ kind: credentials.kind, value: credentials.value }).from(credentials).where(eq(credentials.ticketId, id));
  return { ...row.ticket, type: row.type, credentials: bound, used: { entries: used?.entries ?? 0, persons: used?.persons ?? 0 } };
}

export const bindRequest = z.object({ kind: z.enum(CACHE_CREDENTIALS), value: z.string().min(4).max(40) });

/** Checks and normalises a credential value; a bad one is a 400 with a clear code. */
export function checkCredential(kind: CacheCredential, raw: string): string {
  const value = normaliseCredential(kind, raw);
  if (kind === 'idcard' && !isValidIdNumber(value)) throw new AppError('invalid_id_number', 'not a valid ID card number (GB 11643 check digit)');
  if (kind === 'card' && !/^[0-9A-F]{8,20}$/.test(value)) throw new AppError('invalid_card_uid', 'a card UID is 8 to 20 hex digits');
  if (kind === 'barcode' && !/^[0-9A-Za-z-]{4,40}$/.test(value)) throw new AppError('invalid_barcode', 'a barcode is 4 to 40 letters, digits or -');
  return value;
}

type Tx = Parameters<Parameters<CloudContext['db']['transaction']>[0]>[0];

/** Binds inside the caller's transaction; a value bound to another ticket is refused (409). */
export async function bindCredentialTx(tx: Tx, site: string, ticketId: string, kind: CacheCredential, raw: string): Promise<string> {
  const value = checkCredential(kind, raw);
  const [existing] = await tx.select().from(credentials).where(and(eq(credentials.kind, kind), eq(credentials.value, value)));
  if (existing && existing.ticketId !== ticketId) throw new AppError('credential_in_use', `${kind} ${value} is bound to another ticket`, 409);
  if (existing) return value;
  await tx.insert(credentials).values({ kind, value, ticketId, site });
  await appendChanges(tx, site, [{ kind: 'credential', credential: kind, value, ticketId }]);
  return value;
}

/** Binds a barcode, card UID or ID card number to a ticket, so gates can resolve it from cache. */
export async function bindCredential(ctx: CloudContext, ticketId: string, input: z.infer<typeof bindRequest>) {
  const row = await ticketRow(ctx, ticketId);
  const kind: CacheCredential = input.kind;
  checkCredential(kind, input.value);
  const value = await ctx.db.transaction((tx) => bindCredentialTx(tx, row.ticket.site, ticketId, kind, input.value));
  ctx.notify(row.ticket.site);
  return { ticketId, kind, value };
}

export const revokeRequest = z.object({ reason: z.enum(['refunded', 'lost', 'reissued', 'cancelled']) });

/** Revokes a ticket at once; gates refuse it from their next pull (or doorbell). */
export async function revokeTicket(ctx: CloudContext, ticketId: string, reason: z.infer<typeof revokeRequest>['reason']) {
  const row = await ticketRow(ctx, ticketId);
  await ctx.db.transaction(async (tx) => {
    await tx.update(tickets).set({ revokedReason: reason }).where(eq(tickets.id, ticketId));
    await appendChanges(tx, row.ticket.site, [{ kind: 'revoke', ticketId, reason }]);
  });
  ctx.notify(row.ticket.site);
  return { ticketId, revoked: reason };
}

export const explainQuery = z.object({
  lane: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('lane-1'),
  direction: z.enum(['in', 'out']).default('in'),
  at: z.coerce.number().int().optional(),
  persons: z.coerce.number().int().min(1).max(1000).optional(),
});

/**
 * What a gate at `lane` would decide for this ticket at `at`, from everything HQ knows:
 * the same rule engine the gates run, fed from the database instead of a device cache.
 */
export async function explainTicket(ctx: CloudContext, ticketId: string, q: z.infer<typeof explainQuery>): Promise<{ verdict: Verdict; mode: Mode }> {
  const row = await ticketRow(ctx, ticketId);
  const site = row.ticket.site;
  const siteLanes = (await ctx.db.select().from(lanes).where(eq(lanes.site, site))).map((l) => l.rules);
  const lane = siteLanes.find((l) => l.lane === q.lane) ?? laneRules.parse({ lane: q.lane });
  const history: Passage[] = (await ctx.db.select().from(entries).where(eq(entries.ticketId, ticketId))).map((e) => ({
    at: e.correctedTime.getTime(), lane: e.lane, venue: e.venue, direction: e.direction as 'in' | 'out',
    kind: e.kind as Passage['kind'], persons: e.persons,
  }));
  const modes = await ctx.db.select().from(desiredModes).where(eq(desiredModes.site, site));
  const mode = (modes.sort((a, b) => b.version - a.version)[0]?.mode ?? 'normal') as Mode;
  const t = row.ticket;
  const verdict = decideEntry({
    facts: { ticketId, typeId: t.typeId, validFrom: t.validFrom.getTime() / 1000, validUntil: t.validUntil.getTime() / 1000, persons: t.persons, entries: t.entries },
    type: typeRules.parse(row.rules), lane, direction: q.direction, mode, revoked: t.revokedReason, history,
    persons: q.persons, now: q.at ?? ctx.now(), tz: ctx.config.timeZone, siteLanes,
  });
  return { verdict, mode };
}
