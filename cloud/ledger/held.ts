import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { businessDay } from '../../shared/time/zone.ts';
import { orders, payments, refunds } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { appendAudit, refundRecord, type Tx } from '../office/audit.ts';
import { accountRow, postEntry, type Ledger } from './accounts.ts';
import { insertPayment, type Method } from './payments.ts';
import { openOrder } from './sell.ts';
import type { Actor } from './till.ts';

/**
 * Money held for a customer rather than spent on tickets: a wristband wallet's deposit and
 * balance, a customer account's deposit (and what is paid off its credit). It comes in and
 * goes out at a desk like any other money, so it is in a book like any other money: each
 * wallet and each account has one order with the ledger (channel `wallet` / `account`,
 * found by an id that follows from it), which sells nothing (total 0, no lines) and carries every
 * payment in (positive, in the book of whoever took it) and every refund out (a `refunds`
 * row and its negative payments, in the book of whoever paid it back).
 */
export const HELD = ['wallet', 'account'] as const;
export type Held = (typeof HELD)[number];

type Order = typeof orders.$inferSelect;

/**
 * An order id that follows from a key (RFC 9562 version 8, from SHA-256): the order of a
 * wallet, of an account, of a kiosk attempt is found by its primary key, and a second
 * writer of the same one is refused by it.
 */
export function keyedId(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The order that carries a wallet's or an account's money, opened on its first movement. */
export async function heldOrder(tx: Tx, actor: Actor, o: { kind: Held; id: string; site: string; accountId?: string | null; note: string; at: number; timeZone: string }): Promise<Order> {
  const id = keyedId(`${o.kind}:${o.id}`);
  const find = async () => (await tx.select().from(orders).where(eq(orders.id, id)))[0];
  const known = await find();
  if (known) return known;
  // The order itself is in no shift: it sells nothing, and each of its payments and refunds
  // is in the book of whoever took or paid back that money.
  await openOrder(tx, { ...actor, till: { book: actor.till.book, shiftId: null } }, {
    site: o.site, visitDay: businessDay(o.at, o.timeZone), channel: o.kind, source: o.id, accountId: o.accountId ?? null, totalFen: 0, status: 'issued',
    id, note: o.note, request: { held: o.kind, id: o.id }, at: o.at,
  });
  return (await find())!;
}

/** Money in for a wallet or an account: a payment of the method into the actor's book. */
export async function payIn(tx: Tx, actor: Actor, order: Order, p: { method: Method; amountFen: number; reference?: string | null; at: number }) {
  if (!Number.isSafeInteger(p.amountFen) || p.amountFen <= 0) throw new AppError('invalid_request', 'a payment is more than 0');
  return insertPayment(tx, actor, {
    id: uuidv7(), orderId: order.id, method: p.method, amountFen: p.amountFen, tenderedFen: null, changeFen: null,
    reference: p.reference ?? null, refundId: null, createdAt: new Date(p.at),
  });
}

/**
 * Money out of a wallet or an account: one `refunds` row and a negative payment per method,
 * in the actor's book, never more than its order took in, in total. Per method the holder's
 * own rule applies (a wallet may pay card money back in cash at the visitor's wish).
 */
export async function payOut(tx: Tx, actor: Actor, order: Order, o: { parts: { method: Method; amountFen: number }[]; reason: string; at: number }) {
  const parts = o.parts.filter((p) => p.amountFen !== 0);
  if (parts.some((p) => !Number.isSafeInteger(p.amountFen) || p.amountFen < 0)) throw new AppError('invalid_request', 'a refund part is more than 0');
  const amountFen = parts.reduce((s, p) => s + p.amountFen, 0);
  if (amountFen === 0) return null;
  const net = (await tx.select({ a: payments.amountFen }).from(payments).where(eq(payments.orderId, order.id))).reduce((s, p) => s + p.a, 0);
  if (amountFen > net) throw new AppError('refund_exceeds_paid', `退款 ${amountFen} 超过已收 ${net} / refund ${amountFen} is more than the ${net} held`, 409, { paidFen: net, askedFen: amountFen });
  const refundId = uuidv7();
  const [r] = await tx.insert(refunds).values({
    id: refundId, orderId: order.id, userId: actor.user?.id ?? null, shiftId: actor.till.shiftId, book: actor.till.book, amountFen, reason: o.reason, ticketIds: [], createdAt: new Date(o.at),
  }).returning();
  await appendAudit(tx, { at: o.at, actor: actor.name, action: 'refund', subject: refundId, body: refundRecord(r!) });
  const out = [];
  for (const p of parts) {
    out.push(await insertPayment(tx, actor, { id: uuidv7(), orderId: order.id, method: p.method, amountFen: -p.amountFen, refundId, reference: null, createdAt: new Date(o.at) }));
  }
  return { refundId, amountFen, payments: out };
}

/**
 * An entry of a customer account made at a desk. Money that comes with it is a payment in a
 * book like any other: a deposit raised or a credit paid off is money in (a payment of the
 * method on the account's order), a deposit lowered is money paid back (a refund of it).
 * Points, and credit raised by hand, move no money and stay entries alone.
 */
export async function accountMovement(tx: Tx, actor: Actor, e: {
  accountId: string; ledger: Ledger; amount: number; method: Method; reference?: string | null; note: string; site: string; at: number; timeZone: string;
}) {
  const moneyIn = (e.ledger === 'deposit' && e.amount > 0) || (e.ledger === 'credit' && e.amount < 0);
  const moneyOut = e.ledger === 'deposit' && e.amount < 0;
  if (!moneyIn && !moneyOut) return postEntry(tx, { accountId: e.accountId, ledger: e.ledger, amount: e.amount, note: e.note, userId: actor.user?.id ?? null, actor: actor.name, at: e.at });
  const acct = await accountRow(tx, e.accountId, true);
  const order = await heldOrder(tx, actor, { kind: 'account', id: acct.id, site: e.site, accountId: acct.id, note: `客户账户 ${acct.name}`, at: e.at, timeZone: e.timeZone });
  const entry = await postEntry(tx, { accountId: acct.id, ledger: e.ledger, amount: e.amount, orderId: order.id, note: e.note, userId: actor.user?.id ?? null, actor: actor.name, at: e.at });
  const fen = Math.abs(e.amount);
  if (moneyIn) await payIn(tx, actor, order, { method: e.method, amountFen: fen, reference: e.reference ?? null, at: e.at });
  else await payOut(tx, actor, order, { parts: [{ method: e.method, amountFen: fen }], reason: `预存款退还 ${e.note}`, at: e.at });
  return entry;
}
