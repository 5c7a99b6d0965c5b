import { and, eq, ilike, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { accountEntries, customerAccounts, users } from '../db/schema/index.ts';
import { notFound } from '../http/errors.ts';
import { likeText } from './users.ts';
import { anyOf, cursorParam, dayParam, limitParam, onDays, page, pageView, searchText, sortParam, uuidParam } from './paging.ts';

export const accountsQuery = z.object({
  q: searchText.optional().describe('Part of the name'),
  category: z.string().regex(/^[a-z0-9_-]{1,32}$/).optional(),
  active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  customer: z.coerce.number().int().min(1).max(2 ** 31 - 1).optional().describe('Customer register id (customers.id)'),
  sort: sortParam(['name', 'createdAt'], 'name'),
  limit: limitParam,
  cursor: cursorParam,
}).strict();

export const accountItem = z.object({
  id: z.string(),
  name: z.string(),
  category: z.string(),
  creditLimitFen: z.number().int(),
  customerId: z.number().int().nullable(),
  active: z.boolean(),
  balances: z.object({
    deposit: z.number().int().describe('Money held for the customer, fen'),
    points: z.number().int(),
    credit: z.number().int().describe('Owed by the customer (挂账), fen'),
  }),
  creditLeftFen: z.number().int(),
  createdAt: z.string(),
}).meta({ id: 'AccountSummary' });
export const accountsPage = pageView(accountItem).meta({ id: 'AccountPage' });

const balance = (ledger: string) =>
  sql<number>`(select coalesce(sum(e.amount), 0) from account_entries e where e.account_id = ${customerAccounts}.id and e.ledger = ${ledger})`.mapWith(Number);

export async function searchAccounts(ctx: CloudContext, q: z.output<typeof accountsQuery>) {
  const where: (SQL | undefined)[] = [];
  if (q.q) where.push(ilike(customerAccounts.name, likeText(q.q)));
  if (q.category) where.push(eq(customerAccounts.category, q.category));
  if (q.active !== undefined) where.push(eq(customerAccounts.active, q.active));
  if (q.customer) where.push(eq(customerAccounts.customerId, q.customer));
  type Row = { account: typeof customerAccounts.$inferSelect; deposit: number; points: number; credit: number };
  const p = await page<Row>({
    sorts: {
      name: { column: customerAccounts.name, value: (r) => r.account.name },
      createdAt: { column: customerAccounts.createdAt, value: (r) => r.account.createdAt },
    },
    sort: q.sort, id: customerAccounts.id, idOf: (r) => r.account.id, cursor: q.cursor, limit: q.limit,
    run: (after, orderBy, n) => ctx.db.select({ account: customerAccounts, deposit: balance('deposit'), points: balance('points'), credit: balance('credit') })
      .from(customerAccounts).where(and(...where, after)).orderBy(...orderBy).limit(n),
  });
  return {
    items: p.items.map(({ account: a, deposit, points, credit }) => ({
      id: a.id, name: a.name, category: a.category, creditLimitFen: a.creditLimitFen, customerId: a.customerId, active: a.active,
      balances: { deposit, points, credit }, creditLeftFen: Math.max(0, a.creditLimitFen - credit), createdAt: a.createdAt.toISOString(),
    })),
    next: p.next,
  };
}

export const LEDGERS = ['deposit', 'points', 'credit'] as const;
export const entriesQuery = z.object({
  ledger: anyOf(LEDGERS).optional(),
  from: dayParam.optional(),
  to: dayParam.optional(),
  order: uuidParam.optional(),
  sort: sortParam(['createdAt'], '-createdAt'),
  limit: limitParam,
  cursor: cursorParam,
}).strict();

export const entryItem = z.object({
  id: z.string(),
  ledger: z.enum(LEDGERS),
  amount: z.number().int().describe('deposit/credit in fen, points in points; credit: positive = owed more, negative = repaid'),
  orderId: z.string().nullable(),
  note: z.string().nullable(),
  by: z.object({ id: z.string(), username: z.string(), displayName: z.string() }).nullable(),
  createdAt: z.string(),
}).meta({ id: 'AccountEntry' });
export const entriesPage = pageView(entryItem).meta({ id: 'AccountEntryPage' });

export async function searchEntries(ctx: CloudContext, accountId: string, q: z.output<typeof entriesQuery>) {
  if (!uuidParam.safeParse(accountId).success) throw notFound('customer account', accountId);
  const [acct] = await ctx.db.select({ id: customerAccounts.id }).from(customerAccounts).where(eq(customerAccounts.id, accountId));
  if (!acct) throw notFound('customer account', accountId);
  const where: (SQL | undefined)[] = [eq(accountEntries.accountId, accountId)];
  if (q.ledger) where.push(sql`${accountEntries.ledger} in ${q.ledger}`);
  if (q.order) where.push(eq(accountEntries.orderId, q.order));
  where.push(...onDays(accountEntries.createdAt, q.from, q.to, ctx.config.timeZone));
  type Row = { entry: typeof accountEntries.$inferSelect; by: { id: string; username: string; displayName: string } | null };
  const p = await page<Row>({
    sorts: { createdAt: { column: accountEntries.createdAt, value: (r) => r.entry.createdAt } },
    sort: q.sort, id: accountEntries.id, idOf: (r) => r.entry.id, cursor: q.cursor, limit: q.limit,
    run: (after, orderBy, n) => ctx.db.select({ entry: accountEntries, by: { id: users.id, username: users.username, displayName: users.displayName } })
      .from(accountEntries).leftJoin(users, eq(users.id, accountEntries.byUserId)).where(and(...where, after)).orderBy(...orderBy).limit(n),
  });
  return {
    items: p.items.map(({ entry: e, by }) => ({
      id: e.id, ledger: e.ledger as (typeof LEDGERS)[number], amount: e.amount, orderId: e.orderId, note: e.note, by, createdAt: e.createdAt.toISOString(),
    })),
    next: p.next,
  };
}
