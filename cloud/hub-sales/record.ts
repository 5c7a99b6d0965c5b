import { eq, inArray } from 'drizzle-orm';
import type { HubOrder, HubPickup, HubRefund, HubShift } from '../../shared/hub/journal.ts';
import { pickupIn } from '../channels/pickup.ts';
import type { AuthUser } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import { orders, tickets, ticketTypes, users } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { ledger, type Actor } from '../ledger/index.ts';
import { appendAudit, type Tx } from '../office/audit.ts';
import { recordClosedShift } from '../office/shifts/shifts.ts';
import { flagHubOrder } from './conflicts.ts';
import { placeHubOrder } from './leases.ts';
import { placeHubSlot } from './slot-leases.ts';

/**
 * How a site hub's journal is written into HQ's books, through the ledger (cloud/ledger):
 * the order (ledger.openOrder, channel window, source the hub), its payments with the hub's
 * own ids (ledger.insertPayment), refunds (ledger.refund) and revocations. The seller's money
 * is in the book of the hub's shift (`shift`, the hub's shift id).
 *
 * The sale lines and their tickets go through ledger.issueLines too, as tickets signed
 * elsewhere: a hub's tickets are signed with its delegated key, printed, and perhaps admitted
 * at a gate already, so their ids and codes are kept; the ledger checks each code against the
 * keys HQ delegated to the site's hubs before it takes it.
 */
export async function recordHubOrder(tx: Tx, ctx: CloudContext, at: { site: string; hub: string }, o: HubOrder): Promise<{ overCapacity: boolean }> {
  const actor = await hubActor(tx, o.seller.id, o.shiftId);
  await ledger.openOrder(tx, actor, {
    id: o.id, site: at.site, visitDay: o.visitDay, channel: 'window', source: at.hub, totalFen: o.totalFen, status: 'issued', note: `站点服务器 ${at.hub}`,
    request: { lines: o.lines.map((l) => ({ type: l.type, quantity: l.quantity, group: l.group, ...(l.discount ? { discount: l.discount } : {}) })), payments: [], reserve: false },
    freeReason: o.totalFen === 0 ? `hub ${at.hub}` : null, at: o.at,
  });
  ledger.checkPaid(o.totalFen, o.payments);
  for (const p of o.payments) {
    await ledger.insertPayment(tx, actor, {
      id: p.id, orderId: o.id, method: p.method, amountFen: p.amountFen,
      tenderedFen: p.method === 'cash' ? p.tenderedFen : null, changeFen: p.method === 'cash' ? p.changeFen : null,
      reference: p.method === 'card' ? p.reference : null, refundId: null, createdAt: new Date(o.at),
    });
  }
  // The places: inside the hub's lease they were held at HQ already (cloud/hub-sales/leases.ts);
  // a sale that finds no room is recorded all the same (the visitors are in) and flagged.
  const short = await placeHubOrder(tx, at, o);
  for (const { typeId, persons } of short) {
    const type = await typeRow(tx, typeId);
    await appendAudit(tx, { at: o.at, actor: `hub:${at.hub}`, action: 'hub_over_capacity', subject: o.id, body: { type: type.code, day: o.visitDay, persons } });
  }
  const overCapacity = short.length > 0;
  await flagHubOrder(tx, at, o);
  await recordLines(tx, ctx, actor, at.site, o);
  await placeHubSlot(tx, at, o);
  return { overCapacity };
}

/** The sale lines and their tickets, through the ledger, keeping the hub's ids and its signed codes. */
async function recordLines(tx: Tx, ctx: CloudContext, actor: Actor, site: string, o: HubOrder): Promise<void> {
  const lines = [];
  for (const l of o.lines) {
    const type = await typeRow(tx, l.typeId);
    if (l.persons !== l.quantity * type.persons || l.totalFen !== l.unitFen * l.quantity) {
      throw new AppError('hub_line_mismatch', `the hub's line ${l.saleId} does not add up at HQ (${l.quantity} × ${l.unitFen}, ${l.persons} persons)`, 409, { saleId: l.saleId });
    }
    lines.push({
      type, quantity: l.quantity, unitFen: l.unitFen, listFen: l.listFen, discountCode: l.discount, group: l.group, saleId: l.saleId,
      validFrom: l.tickets[0]!.validFrom, validUntil: l.tickets[0]!.validUntil, signed: l.tickets,
    });
  }
  await ledger.issueLines(tx, ctx, actor, { orderId: o.id, site, at: o.at }, lines);
}

/**
 * A refund the hub made of its own sale, through ledger.refund. Decided rule for a ticket
 * refunded at HQ meanwhile (during the outage, or before the hub heard of it): HQ's books
 * never pay back more than was paid, so what HQ already gave back is not paid again; the
 * hub's refund of it is recorded in the audit chain as `hub_refund_conflict` with its amount
 * (the cash did leave the hub's drawer), for finance to settle.
 */
export async function recordHubRefund(tx: Tx, _ctx: CloudContext, at: { site: string; hub: string }, r: HubRefund): Promise<{ conflict: boolean }> {
  const actor = await hubActor(tx, r.seller.id, r.shiftId);
  const [order] = await tx.select().from(orders).where(eq(orders.id, r.orderId)).for('update');
  if (!order) throw new AppError('unknown_order', `the hub refunded order ${r.orderId}, which HQ does not hold`, 409, { id: r.orderId });
  const rows = await tx.select().from(tickets).where(inArray(tickets.id, r.tickets));
  const live = rows.filter((t) => !t.revokedReason);
  const liveFen = live.reduce((s, t) => s + t.priceFen, 0);
  const method = r.payments[0]!.method;
  if (live.length === rows.length) {
    await ledger.refund(tx, actor, { order, ticketIds: r.tickets, amountFen: r.amountFen, method, reason: `${r.reason}（站点 ${at.hub}）`, at: r.at });
    return { conflict: false };
  }
  if (live.length) await ledger.refund(tx, actor, { order, ticketIds: live.map((t) => t.id), amountFen: liveFen, method, reason: `${r.reason}（站点 ${at.hub}）`, at: r.at });
  await appendAudit(tx, {
    at: r.at, actor: actor.name, action: 'hub_refund_conflict', subject: r.id,
    body: { orderId: r.orderId, hub: at.hub, shiftId: r.shiftId, method, hubRefundFen: r.amountFen, recordedFen: liveFen, unrecordedFen: r.amountFen - liveFen, alreadyRevoked: rows.filter((t) => t.revokedReason).map((t) => ({ id: t.id, reason: t.revokedReason })) },
  });
  return { conflict: true };
}

/** A shift closed at the hub: its handover figures go into the audit chain, and it becomes an HQ shift with its report. */
export async function recordHubShift(tx: Tx, _ctx: CloudContext, at: { site: string; hub: string }, s: HubShift): Promise<void> {
  const actor = await hubActor(tx, s.seller.id, s.id);
  await appendAudit(tx, { at: s.closedAt, actor: actor.name, action: 'hub_shift_close', subject: s.id, body: { ...s, site: at.site, hub: at.hub } });
  await recordClosedShift(tx, { id: s.id, sellerId: s.seller.id, site: at.site, floatFen: s.floatFen, openedAt: s.openedAt, closedAt: s.closedAt, counted: s.counted ?? { cash: s.countedCashFen }, actor: actor.name });
}

/**
 * A booking handed out at the hub's window, through the pickup rules of HQ's windows and
 * kiosks (cloud/channels/pickup.ts), once by its pickup id. Decided rule for a booking picked
 * up twice (at HQ's window and at the hub's during an outage, or at two hubs): the first to
 * reach HQ is the pickup; the other is kept, flagged `duplicate` (GET /pickups/flagged), and
 * written to the audit chain as `hub_pickup_flagged` for the site to follow up: the tickets
 * are the booking's own either way (the same codes), so the gates admit them once.
 */
export async function recordHubPickup(tx: Tx, ctx: CloudContext, at: { site: string; hub: string }, pk: HubPickup): Promise<void> {
  const r = await pickupIn(tx, ctx, { pickupId: pk.pickupId, orderNo: pk.orderNo, device: at.hub, site: at.site, at: pk.at }, { offline: pk.offline, strict: false });
  if (r.result !== 'picked_up') {
    await appendAudit(tx, { at: pk.at, actor: `hub:${at.hub}`, action: 'hub_pickup_flagged', subject: pk.pickupId, body: { orderNo: pk.orderNo, result: r.result, seller: pk.seller.username, offline: pk.offline } });
  }
}

/** The seller, in the book of their shift at the hub. */
async function hubActor(tx: Tx, userId: string, shiftId: string): Promise<Actor> {
  const [u] = await tx.select().from(users).where(eq(users.id, userId));
  if (!u) throw new AppError('unknown_user', `the seller ${userId} of a hub entry is not a user at HQ`, 409);
  const user: AuthUser = { id: u.id, username: u.username, displayName: u.displayName, roles: u.roles as AuthUser['roles'], permissions: u.permissions as AuthUser['permissions'] };
  return { user, name: u.username, till: { book: 'shift', shiftId } };
}

async function typeRow(tx: Tx, typeId: number) {
  const [type] = await tx.select().from(ticketTypes).where(eq(ticketTypes.id, typeId));
  if (!type) throw new AppError('unknown_type', `ticket type ${typeId} of a hub sale is not known at HQ`, 409);
  return type;
}
