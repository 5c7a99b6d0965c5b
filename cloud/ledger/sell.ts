import { eq, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { CloudContext } from '../context.ts';
import { orders, sales, stockItems, stockMoves, ticketTypes } from '../db/schema/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import { appendAudit, type Tx } from '../office/audit.ts';
import { writeRowAtEnd } from '../db/at-end.ts';
import { bindCredentialTx } from '../tickets/credentials.ts';
import { recordIdOrigins } from '../origin/service.ts';
import { pay, type Payment } from './payments.ts';
import { issueTickets, type IssuedTicket, type SignedTicket } from './tickets.ts';
import type { Actor } from './till.ts';

/** Where a sale was made; `wallet` and `account` carry money held for a customer (./held.ts), never tickets. */
export const CHANNELS = ['window', 'kiosk', 'members', 'direct', 'channel', 'wallet', 'account'] as const;
export type SaleChannel = (typeof CHANNELS)[number];

type TypeRow = typeof ticketTypes.$inferSelect;

/** One line of a sale: a ticket type, how many, at what price, valid when; optionally on pre-printed stock or cards. */
export interface Line {
  type: TypeRow;
  quantity: number;
  /** Price per person-ticket after any discount. */
  unitFen: number;
  listFen?: number | null;
  discountCode?: string | null;
  /** one: a single ticket for the whole group; each (default): one ticket per quantity. */
  group?: 'each' | 'one';
  validFrom: number;
  validUntil: number;
  /** Entries per ticket when not the type's (a count card renewed). */
  entries?: number;
  barcodes?: string[];
  cards?: string[];
  idcards?: string[];
  /** The time slot the line's places were taken from (cloud/slots): signed into its codes. */
  slot?: { from: string; to: string };
  /** The sale line's id when it was made elsewhere (a site hub's journal). */
  saleId?: string;
  /** Its tickets when a site hub signed them already (with its delegated key): kept as they are. */
  signed?: SignedTicket[];
}

export interface OrderHead {
  id?: string;
  site: string;
  visitDay: string;
  channel: SaleChannel;
  /** The kiosk's device id or the channel's code. */
  source?: string | null;
  accountId?: string | null;
  /** reserved, pending, issued, owed (paid, tickets not issued), cancelled: see `orders`. */
  status?: 'reserved' | 'pending' | 'issued' | 'owed';
  totalFen: number;
  note?: string | null;
  /** Required when the order is free. */
  freeReason?: string | null;
  request?: unknown;
  at: number;
}

export const lineTotal = (l: Pick<Line, 'unitFen' | 'quantity'>) => l.unitFen * l.quantity;

/** The order row (who sold, where, in which book) with its audit record. */
export async function openOrder(tx: Tx, actor: Actor, o: OrderHead): Promise<string> {
  const id = o.id ?? uuidv7();
  const status = o.status ?? 'issued';
  const held = o.channel === 'wallet' || o.channel === 'account';
  if (o.totalFen === 0 && status === 'issued' && !o.freeReason && !held) throw new AppError('free_needs_reason', '免费票须填写原因 / a free sale needs a reason', 400);
  await writeRowAtEnd(tx, tx.insert(orders).values({
    id, site: o.site, sellerId: actor.user?.id ?? null, shiftId: actor.till.shiftId, accountId: o.accountId ?? null, channel: o.channel, source: o.source ?? null,
    freeReason: o.freeReason ?? null, status, visitDay: o.visitDay, totalFen: o.totalFen, note: o.note ?? null,
    request: o.request ?? {}, createdAt: new Date(o.at), issuedAt: status === 'issued' ? new Date(o.at) : null,
  }));
  await appendAudit(tx, {
    at: o.at, actor: actor.name, action: 'order', subject: id,
    body: { status, site: o.site, channel: o.channel, source: o.source ?? null, book: actor.till.book, shiftId: actor.till.shiftId, visitDay: o.visitDay, totalFen: o.totalFen, account: o.accountId ?? null, freeReason: o.freeReason ?? null },
  });
  return id;
}

export interface SoldLine { saleId: string; line: Line; tickets: IssuedTicket[]; sale: typeof sales.$inferInsert }

/** Issues the lines of an order: a `sales` row each, its tickets with signed codes, stock sold and cards bound. */
export async function issueLines(tx: Tx, ctx: CloudContext, actor: Actor, o: { orderId: string; site: string; at: number }, lines: Line[]): Promise<SoldLine[]> {
  const out: SoldLine[] = [];
  for (const l of lines) {
    const saleId = l.saleId ?? uuidv7();
    const group = l.group ?? 'each';
    const persons = l.quantity * l.type.persons;
    const totalFen = lineTotal(l);
    const row = {
      id: saleId, site: o.site, typeId: l.type.id, quantity: l.quantity, unitPriceFen: l.unitFen, totalFen,
      createdAt: new Date(o.at), orderId: o.orderId, listPriceFen: l.listFen ?? l.unitFen, discountCode: l.discountCode ?? null, groupMode: group, persons,
    };
    await writeRowAtEnd(tx, tx.insert(sales).values(row));
    await appendAudit(tx, { at: o.at, actor: actor.name, action: 'sale', subject: saleId, body: { ...row, createdAt: row.createdAt.toISOString() } });
    const issued = await issueTickets(tx, ctx, {
      saleId, site: o.site, type: l.type, count: group === 'one' ? 1 : l.quantity, persons: group === 'one' ? persons : l.type.persons,
      validFrom: l.validFrom, validUntil: l.validUntil, priceFen: group === 'one' ? totalFen : l.unitFen, entries: l.entries, slot: l.slot, signed: l.signed, at: o.at,
    });
    for (const [i, t] of issued.entries()) {
      if (l.barcodes) await sellStock(tx, actor, o, l.type.id, l.barcodes[i]!, t.id);
      if (l.cards) await bindCredentialTx(tx, o.site, t.id, 'card', l.cards[i]!, { now: o.at });
      if (l.idcards) await bindCredentialTx(tx, o.site, t.id, 'idcard', l.idcards[i]!, { now: o.at });
    }
    if (l.idcards) await recordIdOrigins(tx, o.site, o.at, issued.map((t, i) => ({ ref: t.id, idNumber: l.idcards![i]!, persons: t.persons })));
    out.push({ saleId, line: l, tickets: issued, sale: row });
  }
  return out;
}

/** Barcode activation: a pre-printed item held by this seller is sold as the ticket's barcode. */
async function sellStock(tx: Tx, actor: Actor, o: { site: string; at: number }, typeId: number, serialNo: string, ticketId: string) {
  const user = actor.user;
  const [item] = await tx.select().from(stockItems).where(eq(stockItems.serial, serialNo)).for('update');
  if (!item) throw notFound('stock item', serialNo);
  const held = user !== null && item.status === 'issued' && item.holderId === user.id;
  if (!held) throw new AppError('stock_not_held', `票 ${serialNo} 不在你的库存中 / stock ${serialNo} is ${item.status}${item.holderId && item.holderId !== user?.id ? ' with another seller' : ''}, not issued to you`, 409, { serial: serialNo, status: item.status });
  const [batchType] = await tx.execute(sql`select type_id from stock_batches where id = ${item.batchId}`).then((r) => (r as unknown as { rows: { type_id: number }[] }).rows);
  if (batchType?.type_id !== typeId) throw new AppError('stock_wrong_type', `stock ${serialNo} is for another ticket type`, 409);
  await tx.update(stockItems).set({ status: 'sold', ticketId, updatedAt: new Date(o.at) }).where(eq(stockItems.serial, serialNo));
  await tx.insert(stockMoves).values({ serial: serialNo, fromStatus: 'issued', toStatus: 'sold', userId: user.id, holderId: user.id, shiftId: actor.till.shiftId, createdAt: new Date(o.at) });
  await appendAudit(tx, { at: o.at, actor: actor.name, action: 'stock.sold', subject: serialNo, body: { serial: serialNo, ticketId, shiftId: actor.till.shiftId } });
  await bindCredentialTx(tx, o.site, ticketId, 'barcode', serialNo, { now: o.at });
}

export function checkPaid(totalFen: number, list: { amountFen: number }[]) {
  const paid = list.reduce((s, p) => s + p.amountFen, 0);
  if (paid !== totalFen) throw new AppError('payment_mismatch', `付款合计 ${paid} 分，订单 ${totalFen} 分 / payments add up to ${paid}, the order is ${totalFen}`, 400, { totalFen, paidFen: paid });
}

/**
 * A sale, whole, in the caller's (audited) transaction: the order, its payments (which must
 * add up to its total; a free sale has none and a reason), its lines with their tickets.
 */
export async function sell(tx: Tx, ctx: CloudContext, actor: Actor, o: Omit<OrderHead, 'totalFen' | 'status'> & { lines: Line[]; payments: Payment[] }) {
  const totalFen = o.lines.reduce((s, l) => s + lineTotal(l), 0);
  checkPaid(totalFen, o.payments);
  const orderId = await openOrder(tx, actor, { ...o, totalFen, status: 'issued' });
  const paid = await pay(tx, actor, { orderId, accountId: o.accountId ?? null, at: o.at }, o.payments);
  const lines = await issueLines(tx, ctx, actor, { orderId, site: o.site, at: o.at }, o.lines);
  return { orderId, totalFen, payments: paid, lines };
}

/**
 * Money taken for a sale whose tickets could not be made (a kiosk charged the visitor, then
 * the type sold out): an order `owed` with its payments, in the caller's (audited)
 * transaction. It is money the park owes back, a named difference in the reconciliation
 * until it is refunded or its tickets are issued.
 */
export async function owe(tx: Tx, actor: Actor, o: Omit<OrderHead, 'status'> & { payments: Payment[]; cause: string }) {
  checkPaid(o.totalFen, o.payments);
  const orderId = await openOrder(tx, actor, { ...o, status: 'owed', note: o.note ?? `已扣款未出票 / paid, not issued: ${o.cause}` });
  const paid = await pay(tx, actor, { orderId, accountId: o.accountId ?? null, at: o.at }, o.payments);
  return { orderId, payments: paid };
}
