import { and, eq, inArray, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { encodeTicketCode } from '../../shared/code/ticket-code.ts';
import { hasRole, type AuthUser } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import { entries, orders, payments, refunds, sales, shifts, ticketEvents, tickets, ticketTypes } from '../db/schema/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import { issueTickets } from '../sales/service.ts';
import { appendChanges } from '../sync/changes.ts';
import { bindCredentialTx } from '../tickets/service.ts';
import { releaseCredentials } from '../tickets/credentials.ts';
import { money, postLedger, uuid } from './accounts.ts';
import { appendAudit, refundRecord, type Tx, auditedTx } from './audit.ts';
import { getOrder, insertPayment, orderRow } from './orders.ts';
import { releaseCapacity } from './pricing.ts';

export const refundRequest = z.object({
  /** Tickets to take back (revoked at once); none = money only (e.g. a price correction). */
  tickets: z.array(uuid).min(1).max(500).optional(),
  /** Defaults to what the tickets were sold for. */
  amountFen: money.optional(),
  method: z.enum(['cash', 'card', 'mobile', 'voucher', 'points', 'deposit', 'on_account', 'signed_bill']),
  reason: z.string().min(2).max(200),
}).strict().refine((r) => r.tickets || r.amountFen !== undefined, { message: 'name tickets or an amount', path: ['tickets'] });

async function shiftOf(tx: Tx, userId: string) {
  const [s] = await tx.select({ id: shifts.id }).from(shifts).where(and(eq(shifts.sellerId, userId), sql`${shifts.closedAt} is null`));
  return s?.id ?? null;
}

/**
 * Gives money back for an order, whole or in part, with a reason, by one who may: never more
 * than was paid (in total and by that method). Refunded tickets are revoked in the same
 * transaction, and their places given back.
 */
export async function refundOrder(ctx: CloudContext, user: AuthUser, orderId: string, input: unknown) {
  const r = refundRequest.parse(input);
  if (!user.permissions.includes('refund') && !hasRole(user, 'administrator', 'finance')) {
    throw new AppError('refund_not_allowed', '无退款权限 / you may not refund', 403);
  }
  const order = await orderRow(ctx, orderId);
  const refundId = uuidv7();
  const at = ctx.now();
  await auditedTx(ctx.db, async (tx) => {
    const [locked] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
    if (locked!.status !== 'issued') throw new AppError('order_not_issued', `order is ${locked!.status}`, 409);
    const ps = await tx.select().from(payments).where(eq(payments.orderId, orderId));
    const net = ps.reduce((s, p) => s + p.amountFen, 0);
    const byMethod = ps.filter((p) => p.method === r.method).reduce((s, p) => s + p.amountFen, 0);
    let ticketRows: (typeof tickets.$inferSelect)[] = [];
    if (r.tickets) {
      const ids = [...new Set(r.tickets)];
      ticketRows = await tx.select({ t: tickets }).from(tickets).innerJoin(sales, eq(sales.id, tickets.saleId))
        .where(and(inArray(tickets.id, ids), eq(sales.orderId, orderId))).for('update').then((rows) => rows.map((x) => x.t));
      if (ticketRows.length !== ids.length) throw new AppError('ticket_not_in_order', 'a ticket is not in this order', 409);
      const gone = ticketRows.find((t) => t.revokedReason);
      if (gone) throw new AppError('ticket_revoked', `ticket ${gone.id} is already ${gone.revokedReason}`, 409);
    }
    const amount = r.amountFen ?? ticketRows.reduce((s, t) => s + t.priceFen, 0);
    if (amount > net) throw new AppError('refund_exceeds_paid', `退款 ${amount} 超过已付 ${net} / refund ${amount} is more than the ${net} paid`, 409, { paidFen: net, askedFen: amount });
    if (amount > byMethod) throw new AppError('refund_exceeds_method', `only ${byMethod} was paid by ${r.method}`, 409, { method: r.method, paidFen: byMethod });
    const shiftId = await shiftOf(tx, user.id);
    const [row] = await tx.insert(refunds).values({ id: refundId, orderId, userId: user.id, shiftId, amountFen: amount, reason: r.reason, ticketIds: ticketRows.map((t) => t.id), createdAt: new Date(at) }).returning();
    await appendAudit(tx, { at, actor: user.username, action: 'refund', subject: refundId, body: refundRecord(row!) });
    if (amount > 0) {
      const ledgers: Record<string, 'points' | 'deposit' | 'credit'> = { points: 'points', deposit: 'deposit', on_account: 'credit', signed_bill: 'credit' };
      const ledger = ledgers[r.method];
      if (ledger) {
        await postLedger(tx, { accountId: locked!.accountId!, ledger, amount: ledger === 'credit' ? -amount : amount, orderId, note: `refund ${refundId}`, user, at });
      }
      await insertPayment(tx, { id: uuidv7(), orderId, shiftId, userId: user.id, method: r.method, amountFen: -amount, refundId, reference: null, createdAt: new Date(at) }, user);
    }
    // Places back before the change log's lock: an order takes a place and then that lock,
    // so taking them the other way round here could deadlock with it.
    for (const t of ticketRows) {
      await tx.update(tickets).set({ revokedReason: 'refunded' }).where(eq(tickets.id, t.id));
      await releaseCapacity(tx, t.typeId, locked!.visitDay, t.persons);
    }
    for (const t of ticketRows) await appendChanges(tx, t.site, [{ kind: 'revoke', ticketId: t.id, reason: 'refunded' }]);
    for (const t of ticketRows) await releaseCredentials(tx, t.site, [t.id], 'refunded', at);
  });
  if (r.tickets) ctx.notify(order.site);
  return { refundId, order: await getOrder(ctx, orderId) };
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
    await tx.update(tickets).set({ revokedReason: 'reissued' }).where(eq(tickets.id, ticketId));
    await appendChanges(tx, old.site, [{ kind: 'revoke', ticketId, reason: 'reissued' }]);
    await releaseCredentials(tx, old.site, [ticketId], 'reissued', ctx.now());
    const [fresh] = await issueTickets(tx, ctx, {
      saleId: old.saleId, site: old.site, type: type!, count: 1, persons: old.persons, entries: left,
      validFrom: old.validFrom.getTime(), validUntil: old.validUntil.getTime(), priceFen: old.priceFen,
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
