import { v7 as uuidv7 } from 'uuid';
import { payments } from '../db/schema/index.ts';
import { holdsLedgerRows, writeAtEnd } from '../db/at-end.ts';
import { AppError } from '../http/errors.ts';
import { appendAudit, paymentRecord, type Tx } from '../office/audit.ts';
import { postEntry, redeemVoucher, type Ledger } from './accounts.ts';
import type { Actor } from './till.ts';

/** Every way money comes in. `mobile` is a payment the provider has confirmed; `channel` one a channel collected. */
export const METHODS = ['cash', 'card', 'mobile', 'voucher', 'points', 'deposit', 'on_account', 'signed_bill', 'channel'] as const;
export type Method = (typeof METHODS)[number];

export type Payment =
  | { method: 'cash'; amountFen: number; tenderedFen?: number }
  | { method: 'card' | 'mobile' | 'channel'; amountFen: number; reference: string }
  | { method: 'voucher'; amountFen: number; code: string }
  | { method: 'points' | 'deposit' | 'on_account'; amountFen: number }
  | { method: 'signed_bill'; amountFen: number; signer: string };

/** Methods that move a customer account, and which of its ledgers. */
export const ACCOUNT_LEDGER: Partial<Record<Method, Ledger>> = { points: 'points', deposit: 'deposit', on_account: 'credit', signed_bill: 'credit' };

/** A row of `payments` with its audit record, in the caller's transaction: the one place that inserts one. */
export async function insertPayment(tx: Tx, actor: Actor, row: Omit<typeof payments.$inferInsert, 'book' | 'shiftId' | 'userId'> & { shiftId?: string | null; userId?: string | null }) {
  const values = {
    ...row, book: actor.till.book, shiftId: row.shiftId !== undefined ? row.shiftId : actor.till.shiftId, userId: row.userId !== undefined ? row.userId : actor.user?.id ?? null,
  };
  let p: typeof payments.$inferSelect | undefined;
  if (holdsLedgerRows(tx)) {
    // Held with the sale's last statement where its caller said so (cloud/db/at-end.ts): the row is what is written.
    await writeAtEnd(tx, tx.insert(payments).values(values));
    p = {
      id: values.id, orderId: values.orderId, shiftId: values.shiftId ?? null, userId: values.userId ?? null, book: values.book, method: values.method,
      amountFen: values.amountFen, tenderedFen: values.tenderedFen ?? null, changeFen: values.changeFen ?? null, reference: values.reference ?? null,
      refundId: values.refundId ?? null, createdAt: values.createdAt,
    };
  } else {
    [p] = await tx.insert(payments).values(values).returning();
  }
  await appendAudit(tx, { at: p!.createdAt.getTime(), actor: actor.name, action: 'payment', subject: p!.id, body: paymentRecord(p!) });
  return p!;
}

/**
 * Takes payments for an order in the caller's transaction: vouchers are used once,
 * points / deposit / credit move the order's customer account.
 */
export async function pay(tx: Tx, actor: Actor, o: { orderId: string; accountId: string | null; at: number }, list: Payment[]) {
  const out = [];
  for (const p of list) {
    if (p.amountFen <= 0) throw new AppError('invalid_request', 'a payment is more than 0');
    const id = uuidv7();
    let reference: string | null = null;
    if (p.method === 'card' || p.method === 'mobile' || p.method === 'channel') reference = p.reference;
    if (p.method === 'voucher') {
      reference = p.code;
      await redeemVoucher(tx, p.code, p.amountFen, o.orderId, id, o.at);
    }
    if (p.method === 'signed_bill') reference = p.signer;
    const ledger = ACCOUNT_LEDGER[p.method];
    if (ledger) {
      if (!o.accountId) throw new AppError('account_required', `${p.method} needs a customer account`, 400);
      await postEntry(tx, { accountId: o.accountId, ledger, amount: ledger === 'credit' ? p.amountFen : -p.amountFen, orderId: o.orderId, note: p.method, userId: actor.user?.id ?? null, actor: actor.name, at: o.at });
    }
    const cash = p.method === 'cash' && p.tenderedFen !== undefined;
    out.push(await insertPayment(tx, actor, {
      id, orderId: o.orderId, method: p.method, amountFen: p.amountFen,
      tenderedFen: cash ? p.tenderedFen! : null, changeFen: cash ? p.tenderedFen! - p.amountFen : null,
      reference, refundId: null, createdAt: new Date(o.at),
    }));
  }
  return out;
}
