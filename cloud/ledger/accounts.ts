import { eq, sum } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { Db } from '../db/open.ts';
import { accountEntries, customerAccounts, voucherRedemptions, vouchers } from '../db/schema/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import { appendAudit, type Tx } from '../office/audit.ts';

export const MAX_FEN = 10_000_000_000; // 100 million yuan: far beyond any ticket office figure
export const money = z.number().int().min(0).max(MAX_FEN);
export const uuid = z.string().uuid();
export const LEDGERS = ['deposit', 'points', 'credit'] as const;
export type Ledger = (typeof LEDGERS)[number];

export async function accountRow(db: Db | Tx, id: string, lock = false) {
  if (!uuid.safeParse(id).success) throw notFound('customer account', id);
  const q = db.select().from(customerAccounts).where(eq(customerAccounts.id, id));
  const [row] = lock ? await q.for('update') : await q;
  if (!row) throw notFound('customer account', id);
  return row;
}

export async function balances(db: Db | Tx, accountId: string): Promise<Record<Ledger, number>> {
  const rows = await db.select({ ledger: accountEntries.ledger, total: sum(accountEntries.amount).mapWith(Number) })
    .from(accountEntries).where(eq(accountEntries.accountId, accountId)).groupBy(accountEntries.ledger);
  const out: Record<Ledger, number> = { deposit: 0, points: 0, credit: 0 };
  for (const r of rows) out[r.ledger as Ledger] = r.total ?? 0;
  return out;
}

export function accountEntryRecord(e: typeof accountEntries.$inferSelect) {
  return { id: e.id, accountId: e.accountId, ledger: e.ledger, amount: e.amount, orderId: e.orderId, note: e.note, byUserId: e.byUserId, createdAt: e.createdAt.toISOString() };
}

/**
 * Moves an account's ledger inside the caller's transaction (the account row is locked here):
 * deposit and points may not go below zero, credit not above the limit.
 */
export async function postEntry(tx: Tx, o: { accountId: string; ledger: Ledger; amount: number; orderId?: string; note: string; userId: string | null; actor: string; at: number }) {
  const acct = await accountRow(tx, o.accountId, true);
  if (!acct.active && o.amount > 0 && o.ledger === 'credit') throw new AppError('account_inactive', `account ${acct.name} is closed`, 409);
  const bal = await balances(tx, o.accountId);
  const after = bal[o.ledger] + o.amount;
  if (o.ledger === 'credit' && o.amount > 0 && after > acct.creditLimitFen) {
    throw new AppError('credit_limit', `超出信用额度 / over the credit limit: used ${bal.credit}, limit ${acct.creditLimitFen}, asked ${o.amount}`, 409,
      { used: bal.credit, limit: acct.creditLimitFen, asked: o.amount });
  }
  if (o.ledger === 'credit' && after < 0) throw new AppError('overpaid', `repayment ${-o.amount} is more than owed ${bal.credit}`, 409);
  if (o.ledger !== 'credit' && after < 0) {
    throw new AppError('insufficient_balance', `${o.ledger} balance ${bal[o.ledger]} is less than ${-o.amount}`, 409, { ledger: o.ledger, balance: bal[o.ledger] });
  }
  const [row] = await tx.insert(accountEntries).values({
    id: uuidv7(), accountId: o.accountId, ledger: o.ledger, amount: o.amount, orderId: o.orderId ?? null, note: o.note,
    byUserId: o.userId, createdAt: new Date(o.at),
  }).returning();
  await appendAudit(tx, { at: o.at, actor: o.actor, action: 'account_entry', subject: row!.id, body: accountEntryRecord(row!) });
  return row!;
}

/** Uses a voucher once, in the caller's transaction: the primary key refuses a second use. */
export async function redeemVoucher(tx: Tx, code: string, amountFen: number, orderId: string, paymentId: string, now: number) {
  const [v] = await tx.select().from(vouchers).where(eq(vouchers.code, code)).for('update');
  if (!v) throw notFound('voucher', code);
  if (v.expiresAt && v.expiresAt.getTime() < now) throw new AppError('voucher_expired', `voucher ${code} expired`, 409);
  if (amountFen > v.valueFen) throw new AppError('voucher_value', `voucher ${code} is worth ${v.valueFen}, not ${amountFen}`, 409);
  const [used] = await tx.insert(voucherRedemptions).values({ code, orderId, paymentId, createdAt: new Date(now) }).onConflictDoNothing().returning();
  if (!used) throw new AppError('voucher_used', `voucher ${code} was already used`, 409);
}
