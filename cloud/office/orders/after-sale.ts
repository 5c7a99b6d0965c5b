import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { encodeTicketCode } from '../../../shared/code/ticket-code.ts';
import { hasRole, type AuthUser } from '../../auth/roles.ts';
import type { CloudContext } from '../../context.ts';
import { entries, orders, payments, refunds, sales, shifts, ticketEvents, tickets, ticketTypes } from '../../db/schema/index.ts';
import { AppError, notFound } from '../../http/errors.ts';
import type { IdempotencyClaim } from '../../http/idempotency.ts';
import { ledger, METHODS } from '../../ledger/index.ts';
import { openShiftOf } from '../../ledger/till.ts';
import { appendChanges } from '../../sync/changes.ts';
import { bindCredentialTx } from '../../tickets/service.ts';
import { releaseCredentials } from '../../tickets/credentials.ts';
import { money, uuid } from '../../ledger/accounts.ts';
import { appendAudit, type Tx, auditedTx } from '../audit.ts';
import { getOrder, orderRow } from './orders.ts';

const shiftOf = async (tx: Tx, userId: string) => (await openShiftOf(tx, userId))?.id ?? null;

const method = z.enum(METHODS);
export const refundRequest = z.object({
  /** Tickets to take back (revoked at once); none = money only (e.g. a price correction). */
  tickets: z.array(uuid).min(1).max(500).optional(),
  /** Defaults to what the tickets were sold for (or the sum of `split`). */
  amountFen: money.optional(),
  /** All of it by this method. */
  method: method.optional(),
  /** Explicit amounts per method. Without `method` or `split`: the original methods, newest payment first. */
  split: z.array(z.object({ method, amountFen: money.refine((n) => n > 0, 'must be more than 0') }).strict()).min(1).max(10).optional(),
  reason: z.string().min(2).max(200),
}).strict()
  .refine((r) => r.tickets || r.amountFen !== undefined || r.split, { message: 'name tickets, an amount or a split', path: ['tickets'] })
  .refine((r) => !(r.method && r.split), { message: 'method or split, not both', path: ['split'] });

/**
 * Gives money back for an order, whole or in part, with a reason, by one who may: never more
 * than was paid (in total and by any method), split over several methods in one call. The
 * money comes out of the refunder's book: their shift, or the finance office's cash book.
 * Refunded tickets are revoked in the same transaction, and their places given back.
 */
export async function refundOrder(ctx: CloudContext, user: AuthUser, orderId: string, input: unknown, idem?: IdempotencyClaim) {
  const r = refundRequest.parse(input);
  if (!user.permissions.includes('refund') && !hasRole(user, 'administrator', 'finance')) {
    throw new AppError('refund_not_allowed', '无退款权限 / you may not refund', 403);
  }
  const order = await orderRow(ctx, orderId);
  const at = ctx.now();
  const done = await auditedTx(ctx.db, async (tx) => {
    const [locked] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
    if (locked!.status !== 'issued') throw new AppError('order_not_issued', `订单状态为 ${locked!.status} / order is ${locked!.status}`, 409);
    const actor = await ledger.staffActor(tx, user);
    const refunded = await ledger.refund(tx, actor, { order: locked!, ticketIds: r.tickets, amountFen: r.amountFen, parts: r.split, method: r.method, reason: r.reason, at });
    await idem?.claim(tx, { orderId, refundId: refunded.refundId });
    return refunded;
  });
  if (done.tickets.length) ctx.notify(order.site);
  return { refundId: done.refundId, parts: done.parts, order: await getOrder(ctx, orderId) };
}

/** The answer of a refund made, from its payments (rebuilds a lost answer). */
export async function refundAnswer(ctx: CloudContext, orderId: string, refundId: string) {
  const back = await ctx.db.select().from(payments).where(eq(payments.refundId, refundId)).orderBy(asc(payments.id));
  return { refundId, parts: back.map((p) => ({ method: p.method as z.infer<typeof method>, amountFen: -p.amountFen })), order: await getOrder(ctx, orderId) };
}

export const reissueRequest = z.object({
  reason: z.enum(['lost', 'damaged']),
  card: z.string().min(4).max(40).optional(),
  idcard: z.string().min(4).max(40).optional(),
  barcode: z.string().min(4).max(40).optional(),
}).strict();

async function ticketForUpdate(tx: Tx, id: string) {
  if (!uuid.safeParse(id).success) throw notFound('ticket', id);
  const [t] = await tx.select().from(tickets).where(eq(tickets.id, id)).for('update');
  if (!t) throw notFound('ticket', id);
  return t;
}

/**
 * Loss report and reissue: the old ticket (and every card or code bound to it) is revoked
 * at once, and a new ticket with what was left of the old one is issued, on a new card if
 * one is given. Gates refuse the old card from their next pull.
 */
export async function reissueTicket(ctx: CloudContext, user: AuthUser, ticketId: string, input: unknown) {
  const r = reissueRequest.parse(input);
  if (!hasRole(user, 'seller', 'administrator')) throw new AppError('forbidden', 'only a window seller or the administrator reissues', 403);
  if ([r.card, r.idcard, r.barcode].filter(Boolean).length > 1) throw new AppError('invalid_request', 'one of card, idcard, barcode');
  let site = '';
  const out = await auditedTx(ctx.db, async (tx) => {
    const old = await ticketForUpdate(tx, ticketId);
    site = old.site;
    if (old.revokedReason) throw new AppError('ticket_revoked', `ticket is already ${old.revokedReason}`, 409);
    if (old.validUntil.getTime() <= ctx.now()) throw new AppError('ticket_expired', 'ticket has expired', 409);
    const [type] = await tx.select().from(ticketTypes).where(eq(ticketTypes.id, old.typeId));
    const [used] = await tx.select({ n: sql<number>`count(*)::int` }).from(entries)
      .where(and(eq(entries.ticketId, ticketId), eq(entries.kind, 'normal'), eq(entries.direction, 'in')));
    const left = old.entries === 0 ? 0 : old.entries - (used?.n ?? 0);
    if (old.entries !== 0 && left <= 0) throw new AppError('ticket_used_up', 'ticket has no entries left', 409);
    await ledger.revokeTickets(tx, old.site, [ticketId], 'reissued', ctx.now());
    const [fresh] = await ledger.issueTickets(tx, ctx, {
      saleId: old.saleId, site: old.site, type: type!, count: 1, persons: old.persons, entries: left,
      validFrom: old.validFrom.getTime(), validUntil: old.validUntil.getTime(), priceFen: old.priceFen, at: ctx.now(),
    });
    if (r.card) await bindCredentialTx(tx, old.site, fresh!.id, 'card', r.card);
    if (r.idcard) await bindCredentialTx(tx, old.site, fresh!.id, 'idcard', r.idcard);
    if (r.barcode) await bindCredentialTx(tx, old.site, fresh!.id, 'barcode', r.barcode);
    const at = ctx.now();
    const ev = { id: uuidv7(), kind: 'reissue', ticketId, newTicketId: fresh!.id, userId: user.id, shiftId: await shiftOf(tx, user.id), orderId: null, detail: { reason: r.reason, entriesLeft: left }, createdAt: new Date(at) };
    await tx.insert(ticketEvents).values(ev);
    await appendAudit(tx, { at, actor: user.username, action: 'ticket_reissue', subject: ticketId, body: { newTicketId: fresh!.id, reason: r.reason } });
    const t = fresh!;
    return { oldTicketId: ticketId, ticket: { id: t.id, code: t.code, persons: t.persons, entries: t.entries, validFrom: new Date(t.validFrom).toISOString(), validUntil: new Date(t.validUntil).toISOString() } };
  });
  ctx.notify(site);
  return out;
}

export const extendRequest = z.object({ days: z.number().int().min(1).max(366), reason: z.string().min(2).max(200) }).strict();

/**
 * Extends a ticket's validity: the same ticket id with a new end and a newly signed code;
 * gates take the new end from the change log. Any fee is sold as an order of its own.
 */
export async function extendTicket(ctx: CloudContext, user: AuthUser, ticketId: string, input: unknown) {
  const r = extendRequest.parse(input);
  if (!hasRole(user, 'seller', 'administrator')) throw new AppError('forbidden', 'only a window seller or the administrator extends a ticket', 403);
  let site = '';
  const out = await auditedTx(ctx.db, async (tx) => {
    const t = await ticketForUpdate(tx, ticketId);
    site = t.site;
    if (t.revokedReason) throw new AppError('ticket_revoked', `ticket is ${t.revokedReason}`, 409);
    const validUntil = t.validUntil.getTime() + r.days * 86_400_000;
    const facts = { ticketId, typeId: t.typeId, validFrom: t.validFrom.getTime() / 1000, validUntil: validUntil / 1000, persons: t.persons, entries: t.entries };
    const code = encodeTicketCode(facts, ctx.key);
    await tx.update(tickets).set({ validUntil: new Date(validUntil), code, keyId: ctx.key.keyId }).where(eq(tickets.id, ticketId));
    await appendChanges(tx, t.site, [{ kind: 'ticket', ticket: { id: ticketId, typeId: t.typeId, validFrom: facts.validFrom, validUntil: facts.validUntil, persons: t.persons, entries: t.entries } }]);
    const at = ctx.now();
    await tx.insert(ticketEvents).values({ id: uuidv7(), kind: 'extend', ticketId, userId: user.id, shiftId: await shiftOf(tx, user.id), detail: { days: r.days, reason: r.reason, from: t.validUntil.toISOString(), to: new Date(validUntil).toISOString() }, createdAt: new Date(at) });
    await appendAudit(tx, { at, actor: user.username, action: 'ticket_extend', subject: ticketId, body: { days: r.days, validUntil: new Date(validUntil).toISOString() } });
    return { ticketId, code, validUntil: new Date(validUntil).toISOString() };
  });
  ctx.notify(site);
  return out;
}
