import { eq, inArray, TransactionRollbackError } from 'drizzle-orm';
import type { HubOrder, HubRefund, HubShift } from '../../shared/hub/journal.ts';
import type { AuthUser } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import { orders, refunds, sales, tickets, ticketTypes, users } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { appendAudit, auditSavepoint, refundRecord, type Tx } from '../office/audit.ts';
import { insertPayment } from '../office/orders.ts';
import { releaseCapacity, takeCapacity } from '../office/pricing.ts';
import { appendChanges } from '../sync/changes.ts';
import { releaseCredentials } from '../tickets/credentials.ts';

/**
 * Where a sale the site hub made is written into HQ's books: the one seam between the hub's
 * journal and HQ's sale records, so it can be pointed at the ledger (cloud/ledger) once that
 * is the one writer of sales. Until then it writes the same rows a window order does
 * (cloud/office/orders.ts createOrder): that function cannot be called as it is, because it
 * signs new tickets with HQ's key, while a hub's tickets are already signed with the hub's
 * own key, printed and perhaps admitted at a gate: their ids and codes must be kept.
 * Payments and audit records go through the office's own writers (insertPayment,
 * appendAudit); places through takeCapacity.
 */
export async function recordHubOrder(tx: Tx, ctx: CloudContext, at: { site: string; hub: string }, o: HubOrder): Promise<{ overCapacity: boolean }> {
  const seller = await hubSeller(tx, o.seller.id);
  const shiftId = o.shiftId;
  await tx.insert(orders).values({
    id: o.id, site: at.site, sellerId: seller.id, shiftId, accountId: null, status: 'issued', visitDay: o.visitDay, totalFen: o.totalFen,
    note: `hub ${at.hub}`, idempotencyKey: null, requestHash: null,
    request: { lines: o.lines.map((l) => ({ type: l.type, quantity: l.quantity, group: l.group, ...(l.discount ? { discount: l.discount } : {}) })), payments: [], reserve: false },
    createdAt: new Date(o.at), issuedAt: new Date(o.at),
  });
  for (const p of o.payments) {
    await insertPayment(tx, {
      id: p.id, orderId: o.id, shiftId, userId: seller.id, method: p.method, amountFen: p.amountFen,
      tenderedFen: p.method === 'cash' ? p.tenderedFen : null, changeFen: p.method === 'cash' ? p.changeFen : null,
      reference: p.method === 'card' ? p.reference : null, refundId: null, createdAt: new Date(o.at),
    }, seller);
  }
  // The places were already taken at the site: HQ counts them, and says so when that goes
  // past a day's capacity (the hub sold without a lease of its own; see the README).
  let overCapacity = false;
  const perType = new Map<number, number>();
  for (const l of o.lines) perType.set(l.typeId, (perType.get(l.typeId) ?? 0) + l.persons);
  for (const [typeId, persons] of [...perType].sort((a, b) => a[0] - b[0])) {
    const [type] = await tx.select().from(ticketTypes).where(eq(ticketTypes.id, typeId));
    if (!type) throw new AppError('unknown_type', `ticket type ${typeId} of a hub sale is not known at HQ`, 409);
    const took = await tx.transaction(async (sp) => {
      auditSavepoint(sp);
      await takeCapacity(sp, type, o.visitDay, persons);
      return true;
    }).catch((err) => {
      if (err instanceof AppError && err.code === 'sold_out') return false;
      if (err instanceof TransactionRollbackError) return false;
      throw err;
    });
    if (!took) {
      overCapacity = true;
      await appendAudit(tx, { at: o.at, actor: `hub:${at.hub}`, action: 'hub_over_capacity', subject: o.id, body: { type: type.code, day: o.visitDay, persons } });
    }
  }
  for (const l of o.lines) {
    await tx.insert(sales).values({
      id: l.saleId, site: at.site, typeId: l.typeId, quantity: l.quantity, unitPriceFen: l.unitFen, totalFen: l.totalFen,
      createdAt: new Date(o.at), orderId: o.id, listPriceFen: l.listFen, discountCode: l.discount, groupMode: l.group, persons: l.persons,
    });
    await tx.insert(tickets).values(l.tickets.map((t) => ({
      id: t.id, saleId: l.saleId, site: at.site, typeId: t.typeId, keyId: t.keyId, code: t.code,
      validFrom: new Date(t.validFrom), validUntil: new Date(t.validUntil), persons: t.persons, entries: t.entries,
      priceFen: t.priceFen, issuedAt: new Date(o.at),
    })));
    // The site's other devices (and the hub's own copy) learn of the tickets as of any sale.
    await appendChanges(tx, at.site, l.tickets.map((t) => ({
      kind: 'ticket' as const,
      ticket: { id: t.id, typeId: t.typeId, validFrom: t.validFrom / 1000, validUntil: t.validUntil / 1000, persons: t.persons, entries: t.entries },
    })));
  }
  await appendAudit(tx, {
    at: o.at, actor: seller.username, action: 'order', subject: o.id,
    body: { status: 'issued', site: at.site, hub: at.hub, visitDay: o.visitDay, totalFen: o.totalFen, account: null, lines: o.lines.map((l) => ({ type: l.type, quantity: l.quantity, unitFen: l.unitFen, totalFen: l.totalFen, discount: l.discount })) },
  });
  return { overCapacity };
}

/**
 * A refund the hub made of its own sale. Decided rule: if HQ already revoked one of the
 * tickets (refunded at HQ during the outage), the money went back twice; the hub's refund is
 * still recorded (the cash left the drawer) and flagged in the audit chain for finance.
 */
export async function recordHubRefund(tx: Tx, ctx: CloudContext, at: { site: string; hub: string }, r: HubRefund): Promise<{ conflict: boolean }> {
  const seller = await hubSeller(tx, r.seller.id);
  const [order] = await tx.select().from(orders).where(eq(orders.id, r.orderId)).for('update');
  if (!order) throw new AppError('unknown_order', `the hub refunded order ${r.orderId}, which HQ does not hold`, 409);
  const rows = await tx.select().from(tickets).where(inArray(tickets.id, r.tickets)).for('update');
  const already = rows.filter((t) => t.revokedReason);
  const [row] = await tx.insert(refunds).values({ id: r.id, orderId: r.orderId, userId: seller.id, shiftId: r.shiftId, amountFen: r.amountFen, reason: r.reason, ticketIds: r.tickets, createdAt: new Date(r.at) }).returning();
  await appendAudit(tx, { at: r.at, actor: seller.username, action: 'refund', subject: r.id, body: refundRecord(row!) });
  for (const p of r.payments) {
    await insertPayment(tx, {
      id: p.id, orderId: r.orderId, shiftId: r.shiftId, userId: seller.id, method: p.method, amountFen: p.amountFen,
      tenderedFen: null, changeFen: null, reference: p.method === 'card' ? p.reference : null, refundId: r.id, createdAt: new Date(r.at),
    }, seller);
  }
  const live = rows.filter((t) => !t.revokedReason);
  for (const t of live) {
    await tx.update(tickets).set({ revokedReason: 'refunded' }).where(eq(tickets.id, t.id));
    await releaseCapacity(tx, t.typeId, order.visitDay, t.persons);
  }
  for (const t of live) await appendChanges(tx, t.site, [{ kind: 'revoke', ticketId: t.id, reason: 'refunded' }]);
  if (live.length) await releaseCredentials(tx, at.site, live.map((t) => t.id), 'refunded', r.at);
  if (already.length) {
    await appendAudit(tx, { at: r.at, actor: `hub:${at.hub}`, action: 'hub_refund_conflict', subject: r.id, body: { orderId: r.orderId, tickets: already.map((t) => ({ id: t.id, revoked: t.revokedReason })) } });
  }
  return { conflict: already.length > 0 };
}

/** A shift closed at the hub: its handover figures go into the audit chain. */
export async function recordHubShift(tx: Tx, _ctx: CloudContext, at: { site: string; hub: string }, s: HubShift): Promise<void> {
  const seller = await hubSeller(tx, s.seller.id);
  await appendAudit(tx, { at: s.closedAt, actor: seller.username, action: 'hub_shift_close', subject: s.id, body: { ...s, site: at.site, hub: at.hub } });
}

async function hubSeller(tx: Tx, id: string): Promise<AuthUser> {
  const [u] = await tx.select().from(users).where(eq(users.id, id));
  if (!u) throw new AppError('unknown_user', `the seller ${id} of a hub entry is not a user at HQ`, 409);
  return { id: u.id, username: u.username, displayName: u.displayName, roles: u.roles as AuthUser['roles'], permissions: u.permissions as AuthUser['permissions'] };
}

