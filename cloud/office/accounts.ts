import { eq, sum } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { AuthUser } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import type { Db } from '../db/open.ts';
import { accountEntries, customerAccounts, vouchers, voucherRedemptions } from '../db/schema/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import { appendAudit, type Tx, auditedTx } from './audit.ts';

export const MAX_FEN = 10_000_000_000; // 100 million yuan: far beyond any ticket office figure
export const money = z.number().int().min(0).max(MAX_FEN);
export const uuid = z.string().uuid();
export const LEDGERS = ['deposit', 'points', 'credit'] as const;
export type Ledger = (typeof LEDGERS)[number];

export const newAccount = z.object({
  name: z.string().min(1).max(100),
  category: z.string().regex(/^[a-z0-9_-]{1,32}$/).default('general'),
  creditLimitFen: money.default(0),
  customerId: z.number().int().min(1).max(2 ** 31 - 1).optional(),
}).strict();
export const accountPatch = z.object({ creditLimitFen: money.optional(), active: z.boolean().optional(), name: z.string().min(1).max(100).optional() }).strict();
/** deposit/points top-up (positive) or correction (negative); credit repayment is negative. */
export const ledgerEntry = z.object({
  ledger: z.enum(LEDGERS),
  amount: z.number().int().min(-MAX_FEN).max(MAX_FEN).refine((n) => n !== 0, 'must not be 0'),
  note: z.string().min(1).max(200),
}).strict();
export const newVoucher = z.object({
  code: z.string().regex(/^[A-Za-z0-9-]{4,40}$/), valueFen: money.refine((n) => n > 0, 'must be positive'),
  expiresAt: z.string().datetime().optional(),
}).strict();

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
 * Moves an account's ledger inside the caller's transaction (the account row is locked by
 * the caller): deposit and points may not go below zero, credit not above the limit.
 */
export async function postLedger(tx: Tx, o: { accountId: string; ledger: Ledger; amount: number; orderId?: string; note: string; user: AuthUser; at: number }) {
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
    byUserId: o.user.id, createdAt: new Date(o.at),
  }).returning();
  await appendAudit(tx, { at: o.at, actor: o.user.username, action: 'account_entry', subject: row!.id, body: accountEntryRecord(row!) });
  return row!;
}

export async function createAccount(ctx: CloudContext, input: unknown) {
  const a = newAccount.parse(input);
  const [row] = await ctx.db.insert(customerAccounts).values({ id: uuidv7(), ...a }).returning();
  return { ...row!, balances: { deposit: 0, points: 0, credit: 0 } };
}

export async function getAccount(ctx: CloudContext, id: string) {
  const row = await accountRow(ctx.db, id);
  const b = await balances(ctx.db, id);
  return { ...row, balances: b, creditAvailableFen: Math.max(0, row.creditLimitFen - b.credit) };
}

export async function patchAccount(ctx: CloudContext, user: AuthUser, id: string, input: unknown) {
  const p = accountPatch.parse(input);
  await auditedTx(ctx.db, async (tx) => {
    const before = await accountRow(tx, id, true);
    await tx.update(customerAccounts).set(p).where(eq(customerAccounts.id, id));
    await appendAudit(tx, { at: ctx.now(), actor: user.username, action: 'account_change', subject: id, body: { before: { creditLimitFen: before.creditLimitFen, active: before.active }, after: p } });
  });
  return getAccount(ctx, id);
}

export async function addLedgerEntry(ctx: CloudContext, user: AuthUser, id: string, input: unknown) {
  const e = ledgerEntry.parse(input);
  const row = await auditedTx(ctx.db, (tx) => postLedger(tx, { accountId: id, ledger: e.ledger, amount: e.amount, note: e.note, user, at: ctx.now() }));
  return { entry: accountEntryRecord(row), ...(await getAccount(ctx, id)) };
}

export async function createVoucher(ctx: CloudContext, input: unknown) {
  const v = newVoucher.parse(input);
  const [row] = await ctx.db.insert(vouchers).values({ code: v.code, valueFen: v.valueFen, expiresAt: v.expiresAt ? new Date(v.expiresAt) : null })
    .onConflictDoNothing().returning();
  if (!row) throw new AppError('duplicate', `voucher already exists: ${v.code}`, 409);
  return row;
}

export async function getVoucher(ctx: CloudContext, code: string) {
  const [row] = await ctx.db.select().from(vouchers).where(eq(vouchers.code, code));
  if (!row) throw notFound('voucher', code);
  const [used] = await ctx.db.select().from(voucherRedemptions).where(eq(voucherRedemptions.code, code));
  return { ...row, usedBy: used?.orderId ?? null };
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

