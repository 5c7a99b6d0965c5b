import { eq, sum } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { AuthUser } from '../../auth/roles.ts';
import type { CloudContext } from '../../context.ts';
import type { Db } from '../../db/open.ts';
import { accountEntries, customerAccounts, vouchers, voucherRedemptions } from '../../db/schema/index.ts';
import { AppError, notFound } from '../../http/errors.ts';
import type { IdempotencyClaim } from '../../http/idempotency.ts';
import { appendAudit, auditedTx } from '../audit.ts';
import { accountEntryRecord, accountRow, balances, LEDGERS, MAX_FEN, money, uuid } from '../../ledger/accounts.ts';
import { ledger } from '../../ledger/index.ts';

export { MAX_FEN, money, uuid, LEDGERS, type Ledger } from '../../ledger/accounts.ts';
export { accountRow, balances, accountEntryRecord } from '../../ledger/accounts.ts';

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
  /** How money that comes with it is paid (a deposit raised or lowered, a credit paid off). */
  method: z.enum(['cash', 'card', 'mobile']).default('cash'),
  reference: z.string().min(1).max(100).optional(),
}).strict();
export const newVoucher = z.object({
  code: z.string().regex(/^[A-Za-z0-9-]{4,40}$/), valueFen: money.refine((n) => n > 0, 'must be positive'),
  expiresAt: z.string().datetime().optional(),
}).strict();

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

export async function addLedgerEntry(ctx: CloudContext, user: AuthUser, id: string, input: unknown, idem?: IdempotencyClaim) {
  const e = ledgerEntry.parse(input);
  const row = await auditedTx(ctx.db, async (tx) => {
    const made = await ledger.accountMovement(tx, await ledger.staffActor(tx, user), {
      accountId: id, ledger: e.ledger, amount: e.amount, method: e.method, reference: e.reference ?? null, note: e.note, site: ctx.config.site, at: ctx.now(), timeZone: ctx.config.timeZone,
    });
    await idem?.claim(tx, { accountId: id, entryId: made.id });
    return made;
  });
  return { entry: accountEntryRecord(row), ...(await getAccount(ctx, id)) };
}

/** The answer of an entry already made (a retried request whose first answer was lost). */
export async function entryAnswer(ctx: CloudContext, accountId: string, entryId: string) {
  const [row] = await ctx.db.select().from(accountEntries).where(eq(accountEntries.id, entryId));
  if (!row) throw notFound('account entry', entryId);
  return { entry: accountEntryRecord(row), ...(await getAccount(ctx, accountId)) };
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
