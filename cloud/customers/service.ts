import { and, asc, eq, gte, inArray, isNotNull, lt, lte, sql, sum } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { normaliseLookup, PHONE } from '../../shared/booking/lookup.ts';
import { isValidIdNumber } from '../../shared/rules/credential.ts';
import { addDays, businessDay, startOfBusinessDay } from '../../shared/time/zone.ts';
import type { AuthUser } from '../auth/roles.ts';
import { calendarDay } from '../../shared/time/day.ts';
import type { CloudContext } from '../context.ts';
import {
  accountEntries, bookings, contracts, customerAccounts, customers, discounts, guideLedger, guides, orders, sales,
} from '../db/schema/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import { appendAudit } from '../office/audit.ts';

const day = calendarDay;
const code = z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lower-case letters, digits, - or _, up to 32');
const fenAmount = z.number().int().min(0).max(10_000_000_000);

export const newCustomer = z.object({
  code,
  name: z.string().trim().min(1).max(100),
  kind: z.enum(['agency', 'unit']),
  contact: z.string().max(64).optional(),
  phone: z.string().max(20).optional(),
  address: z.string().max(200).optional(),
}).strict();
export const customerPatch = newCustomer.omit({ code: true, kind: true }).partial().extend({ active: z.boolean().optional() }).strict();

export const newContract = z.object({
  contractNo: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
  startDay: day,
  endDay: day,
  category: code,
  discountPct: z.number().int().min(0).max(100).default(0),
  creditLimitFen: fenAmount.default(0),
  settlement: z.enum(['prepaid', 'per_order', 'monthly']),
  settlementDays: z.number().int().min(0).max(365).default(30),
  note: z.string().max(200).optional(),
}).strict().refine((c) => c.endDay >= c.startDay, { message: 'endDay before startDay', path: ['endDay'] });

export const newGuide = z.object({
  kind: z.enum(['guide', 'driver']),
  name: z.string().trim().min(1).max(64),
  phone: z.string().min(5).max(20),
  idNumber: z.string().min(15).max(20).optional(),
  licenseNo: z.string().min(1).max(40).optional(),
  customer: code.optional(),
  discountPct: z.number().int().min(0).max(100).default(0),
  pointsPerPerson: z.number().int().min(0).max(10_000).default(0),
  rebateFenPerPerson: z.number().int().min(0).max(1_000_000).default(0),
}).strict();

export const guideVisit = z.object({
  /** The window order id or booking number the group came with. */
  ref: z.string().min(1).max(64),
  persons: z.number().int().min(1).max(10_000),
  note: z.string().max(200).optional(),
}).strict();
export const guidePayout = z.object({
  entry: z.enum(['payout', 'redeem']),
  amount: z.number().int().min(1).max(10_000_000_000),
  note: z.string().min(1).max(200),
}).strict();

export const period = z.object({ from: day, to: day }).strict().refine((p) => p.to >= p.from, { message: 'to before from', path: ['to'] });

type Customer = typeof customers.$inferSelect;

export async function createCustomer(ctx: CloudContext, input: z.infer<typeof newCustomer>) {
  const [row] = await ctx.db.insert(customers).values({ ...input, createdAt: new Date(ctx.now()) }).onConflictDoNothing({ target: customers.code }).returning();
  if (!row) throw new AppError('duplicate', `customer already exists: ${input.code}`, 409, { customer: input.code });
  return row;
}

export async function customerByCode(db: CloudContext['db'], c: string): Promise<Customer> {
  const [row] = await db.select().from(customers).where(eq(customers.code, c));
  if (!row) throw notFound('customer', c);
  return row;
}

export async function listCustomers(ctx: CloudContext, kind?: string) {
  return ctx.db.select().from(customers).where(kind ? eq(customers.kind, kind) : undefined).orderBy(asc(customers.code));
}

export async function patchCustomer(ctx: CloudContext, c: string, input: z.infer<typeof customerPatch>) {
  const row = await customerByCode(ctx.db, c);
  if (Object.keys(input).length === 0) return row;
  const [out] = await ctx.db.update(customers).set(input).where(eq(customers.id, row.id)).returning();
  return out!;
}

/** The contract in force on a day, if any (the latest signed wins when periods overlap). */
export async function contractOn(db: CloudContext['db'], customerId: number, onDay: string) {
  const [c] = await db.select().from(contracts)
    .where(and(eq(contracts.customerId, customerId), lte(contracts.startDay, onDay), gte(contracts.endDay, onDay)))
    .orderBy(sql`${contracts.id} desc`).limit(1);
  return c;
}

/**
 * Signs a contract. The customer's account (the window's 挂账 / 签单 ledger) takes the
 * contract's credit limit and category, and the contract's discount becomes a percent
 * discount limited to that category, which a window applies to the customer's orders.
 */
export async function addContract(ctx: CloudContext, user: AuthUser | undefined, c: string, input: z.infer<typeof newContract>) {
  const customer = await customerByCode(ctx.db, c);
  const now = ctx.now();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.insert(contracts).values({ ...input, customerId: customer.id, createdAt: new Date(now) })
      .onConflictDoNothing({ target: contracts.contractNo }).returning();
    if (!row) throw new AppError('duplicate', `contract already exists: ${input.contractNo}`, 409);
    const [acct] = await tx.select().from(customerAccounts).where(eq(customerAccounts.customerId, customer.id)).for('update');
    let accountId = acct?.id;
    if (acct) {
      await tx.update(customerAccounts).set({ creditLimitFen: input.creditLimitFen, category: input.category, name: customer.name }).where(eq(customerAccounts.id, acct.id));
    } else {
      accountId = uuidv7();
      await tx.insert(customerAccounts).values({ id: accountId, name: customer.name, category: input.category, creditLimitFen: input.creditLimitFen, customerId: customer.id, createdAt: new Date(now) });
    }
    let discount: string | null = null;
    if (input.discountPct > 0) {
      discount = `contract-${customer.code}`;
      await tx.insert(discounts).values({ code: discount, name: `${customer.name} 协议折扣`, kind: 'percent', value: input.discountPct, customerCategory: input.category, active: true })
        .onConflictDoUpdate({ target: discounts.code, set: { value: input.discountPct, customerCategory: input.category, active: true } });
    }
    await appendAudit(tx, { at: now, actor: user?.username ?? 'system', action: 'contract', subject: input.contractNo, body: { customer: customer.code, ...input, accountId } });
    return { ...row, accountId: accountId!, discount };
  });
}

export async function customerView(ctx: CloudContext, c: string) {
  const customer = await customerByCode(ctx.db, c);
  const list = await ctx.db.select().from(contracts).where(eq(contracts.customerId, customer.id)).orderBy(asc(contracts.startDay));
  const today = businessDay(ctx.now(), ctx.config.timeZone);
  const [acct] = await ctx.db.select().from(customerAccounts).where(eq(customerAccounts.customerId, customer.id));
  const owed = acct ? await creditOwed(ctx.db, acct.id) : 0;
  const inForce = await contractOn(ctx.db, customer.id, today);
  return {
    ...customer,
    contracts: list.map((k) => ({ ...k, inForce: k.id === inForce?.id })),
    account: acct ? { id: acct.id, category: acct.category, creditLimitFen: acct.creditLimitFen, owedFen: owed, availableFen: Math.max(0, acct.creditLimitFen - owed) } : null,
    guides: await ctx.db.select().from(guides).where(eq(guides.customerId, customer.id)).orderBy(asc(guides.id)),
  };
}

async function creditOwed(db: CloudContext['db'], accountId: string, before?: Date): Promise<number> {
  const [r] = await db.select({ total: sum(accountEntries.amount).mapWith(Number) }).from(accountEntries)
    .where(and(eq(accountEntries.accountId, accountId), eq(accountEntries.ledger, 'credit'), before ? lt(accountEntries.createdAt, before) : undefined));
  return r?.total ?? 0;
}

const span = (ctx: CloudContext, p: z.infer<typeof period>) => ({
  from: new Date(startOfBusinessDay(p.from, ctx.config.timeZone)),
  to: new Date(startOfBusinessDay(addDays(p.to, 1), ctx.config.timeZone)),
});

/**
 * A customer's settlement statement for a period: the orders issued on its account and the
 * bookings its channel had paid, what was charged on credit and repaid, and the balance owed
 * at the start and end, all in fen; with the contract's settlement terms and due day.
 */
export async function statement(ctx: CloudContext, c: string, p: z.infer<typeof period>) {
  const customer = await customerByCode(ctx.db, c);
  const { from, to } = span(ctx, p);
  const [acct] = await ctx.db.select().from(customerAccounts).where(eq(customerAccounts.customerId, customer.id));
  const orderRows = acct ? await ctx.db.select().from(orders)
    .where(and(eq(orders.accountId, acct.id), eq(orders.status, 'issued'), gte(orders.issuedAt, from), lt(orders.issuedAt, to))).orderBy(asc(orders.issuedAt)) : [];
  const lines = orderRows.length ? await ctx.db.select({ orderId: sales.orderId, tickets: sql<number>`sum(${sales.quantity})::int`, persons: sql<number>`sum(coalesce(${sales.persons}, ${sales.quantity}))::int` })
    .from(sales).where(inArray(sales.orderId, orderRows.map((o) => o.id))).groupBy(sales.orderId) : [];
  const byOrder = new Map(lines.map((l) => [l.orderId, l]));
  const booked = await ctx.db.select().from(bookings)
    .where(and(eq(bookings.customerId, customer.id), isNotNull(bookings.paidAt), gte(bookings.paidAt, from), lt(bookings.paidAt, to))).orderBy(asc(bookings.paidAt));
  const ledger = acct ? await ctx.db.select().from(accountEntries)
    .where(and(eq(accountEntries.accountId, acct.id), eq(accountEntries.ledger, 'credit'), gte(accountEntries.createdAt, from), lt(accountEntries.createdAt, to))).orderBy(asc(accountEntries.createdAt)) : [];
  const opening = acct ? await creditOwed(ctx.db, acct.id, from) : 0;
  const charged = ledger.filter((e) => e.amount > 0).reduce((n, e) => n + e.amount, 0);
  const repaid = -ledger.filter((e) => e.amount < 0).reduce((n, e) => n + e.amount, 0);
  const contract = await contractOn(ctx.db, customer.id, p.to);
  return {
    customer: { code: customer.code, name: customer.name, kind: customer.kind },
    period: p, timeZone: ctx.config.timeZone,
    contract: contract ? { contractNo: contract.contractNo, settlement: contract.settlement, settlementDays: contract.settlementDays, discountPct: contract.discountPct, creditLimitFen: contract.creditLimitFen } : null,
    dueDay: contract ? addDays(p.to, contract.settlementDays) : null,
    orders: orderRows.map((o) => ({ source: 'window' as 'window' | 'booking', ref: o.id, at: o.issuedAt!.toISOString(), visitDay: o.visitDay, tickets: byOrder.get(o.id)?.tickets ?? 0, persons: byOrder.get(o.id)?.persons ?? 0, amountFen: o.totalFen }))
      .concat(booked.map((b) => ({ source: 'booking' as const, ref: b.orderNo, at: b.paidAt!.toISOString(), visitDay: b.visitDay, tickets: b.quantity, persons: b.quantity, amountFen: b.state === 'cancelled' ? 0 : b.totalFen }))),
    totals: {
      orders: orderRows.length + booked.length,
      amountFen: orderRows.reduce((n, o) => n + o.totalFen, 0) + booked.reduce((n, b) => n + (b.state === 'cancelled' ? 0 : b.totalFen), 0),
    },
    credit: { openingFen: opening, chargedFen: charged, repaidFen: repaid, closingFen: opening + charged - repaid },
  };
}

/** Sales per customer over a period (window orders on their account and their channel's bookings), largest first. */
export async function performance(ctx: CloudContext, p: z.infer<typeof period>) {
  const { from, to } = span(ctx, p);
  const win = await ctx.db.select({
    customerId: customerAccounts.customerId, orders: sql<number>`count(*)::int`, amountFen: sql<number>`coalesce(sum(${orders.totalFen}), 0)::bigint`,
  }).from(orders).innerJoin(customerAccounts, eq(customerAccounts.id, orders.accountId))
    .where(and(eq(orders.status, 'issued'), gte(orders.issuedAt, from), lt(orders.issuedAt, to), isNotNull(customerAccounts.customerId)))
    .groupBy(customerAccounts.customerId);
  const tix = await ctx.db.select({ customerId: customerAccounts.customerId, tickets: sql<number>`sum(${sales.quantity})::int`, persons: sql<number>`sum(coalesce(${sales.persons}, ${sales.quantity}))::int` })
    .from(sales).innerJoin(orders, eq(orders.id, sales.orderId)).innerJoin(customerAccounts, eq(customerAccounts.id, orders.accountId))
    .where(and(eq(orders.status, 'issued'), gte(orders.issuedAt, from), lt(orders.issuedAt, to), isNotNull(customerAccounts.customerId)))
    .groupBy(customerAccounts.customerId);
  const bk = await ctx.db.select({ customerId: bookings.customerId, orders: sql<number>`count(*)::int`, tickets: sql<number>`sum(${bookings.quantity})::int`, amountFen: sql<number>`sum(${bookings.totalFen})::bigint` })
    .from(bookings).where(and(isNotNull(bookings.customerId), isNotNull(bookings.paidAt), gte(bookings.paidAt, from), lt(bookings.paidAt, to), sql`${bookings.state} <> 'cancelled'`))
    .groupBy(bookings.customerId);
  const all = await ctx.db.select().from(customers);
  const rows = all.map((c) => {
    const w = win.find((r) => r.customerId === c.id);
    const t = tix.find((r) => r.customerId === c.id);
    const b = bk.find((r) => r.customerId === c.id);
    return {
      customer: c.code, name: c.name, kind: c.kind,
      orders: (w?.orders ?? 0) + (b?.orders ?? 0),
      tickets: (t?.tickets ?? 0) + (b?.tickets ?? 0),
      persons: (t?.persons ?? 0) + (b?.tickets ?? 0),
      amountFen: Number(w?.amountFen ?? 0) + Number(b?.amountFen ?? 0),
    };
  }).filter((r) => r.orders > 0).sort((a, b) => b.amountFen - a.amountFen || a.customer.localeCompare(b.customer));
  return { period: p, timeZone: ctx.config.timeZone, customers: rows, totalFen: rows.reduce((n, r) => n + r.amountFen, 0) };
}

export async function createGuide(ctx: CloudContext, input: z.infer<typeof newGuide>) {
  const phone = normaliseLookup('phone', input.phone);
  if (!PHONE.test(phone)) throw new AppError('invalid_phone', '手机号无效 / not a valid mobile number', 422);
  const idNumber = input.idNumber ? normaliseLookup('id', input.idNumber) : undefined;
  if (idNumber && !isValidIdNumber(idNumber)) throw new AppError('invalid_id_number', '身份证号无效 / not a valid ID card number', 422);
  const customerId = input.customer ? (await customerByCode(ctx.db, input.customer)).id : null;
  const { customer: _c, ...rest } = input;
  const [row] = await ctx.db.insert(guides).values({ ...rest, phone, idNumber: idNumber ?? null, customerId, createdAt: new Date(ctx.now()) }).returning();
  return row!;
}

async function guideRow(db: CloudContext['db'], id: string) {
  const n = Number(id);
  if (!Number.isInteger(n) || n <= 0 || n > 2 ** 31 - 1) throw notFound('guide', id);
  const [g] = await db.select().from(guides).where(eq(guides.id, n));
  if (!g) throw notFound('guide', id);
  return g;
}

export async function guideView(ctx: CloudContext, id: string) {
  const g = await guideRow(ctx.db, id);
  const entries = await ctx.db.select().from(guideLedger).where(eq(guideLedger.guideId, g.id)).orderBy(asc(guideLedger.at));
  return {
    ...g,
    balances: { points: entries.reduce((n, e) => n + e.points, 0), rebateFen: entries.reduce((n, e) => n + e.rebateFen, 0), persons: entries.reduce((n, e) => n + e.persons, 0) },
    ledger: entries.map((e) => ({ ...e, at: e.at.toISOString() })),
  };
}

export async function findGuides(ctx: CloudContext, q: { phone?: string; name?: string }) {
  const conds = [];
  if (q.phone) conds.push(eq(guides.phone, normaliseLookup('phone', q.phone)));
  if (q.name) conds.push(eq(guides.name, q.name.trim()));
  return ctx.db.select().from(guides).where(conds.length ? and(...conds) : undefined).orderBy(asc(guides.id)).limit(200);
}

/** A group the guide or driver brought: earns points and rebate per visitor, once per order or booking. */
export async function recordVisit(ctx: CloudContext, user: AuthUser | undefined, id: string, input: z.infer<typeof guideVisit>) {
  const g = await guideRow(ctx.db, id);
  if (!g.active) throw new AppError('guide_inactive', `guide ${g.name} is inactive`, 409);
  const [row] = await ctx.db.insert(guideLedger).values({
    id: uuidv7(), guideId: g.id, entry: 'visit', ref: input.ref, persons: input.persons,
    points: input.persons * g.pointsPerPerson, rebateFen: input.persons * g.rebateFenPerPerson, note: input.note ?? null, byUserId: user?.id ?? null, at: new Date(ctx.now()),
  }).onConflictDoNothing().returning();
  if (!row) throw new AppError('visit_recorded', `该团已登记 / a visit for ${input.ref} is already recorded for this guide`, 409);
  return guideView(ctx, id);
}

/** Pays out rebate or redeems points: never below zero. */
export async function payoutGuide(ctx: CloudContext, user: AuthUser | undefined, id: string, input: z.infer<typeof guidePayout>) {
  const g = await guideRow(ctx.db, id);
  await ctx.db.transaction(async (tx) => {
    await tx.select().from(guides).where(eq(guides.id, g.id)).for('update');
    const [b] = await tx.select({ points: sql<number>`coalesce(sum(${guideLedger.points}), 0)::int`, rebate: sql<number>`coalesce(sum(${guideLedger.rebateFen}), 0)::bigint` })
      .from(guideLedger).where(eq(guideLedger.guideId, g.id));
    const have = input.entry === 'payout' ? Number(b!.rebate) : b!.points;
    if (input.amount > have) throw new AppError('insufficient_balance', `${input.entry === 'payout' ? '返利' : '积分'}余额不足 / balance ${have} is less than ${input.amount}`, 409, { balance: have });
    await tx.insert(guideLedger).values({
      id: uuidv7(), guideId: g.id, entry: input.entry, persons: 0,
      points: input.entry === 'redeem' ? -input.amount : 0, rebateFen: input.entry === 'payout' ? -input.amount : 0,
      note: input.note, byUserId: user?.id ?? null, at: new Date(ctx.now()),
    });
    if (input.entry === 'payout') await appendAudit(tx, { at: ctx.now(), actor: user?.username ?? 'system', action: 'guide_rebate_payout', subject: String(g.id), body: { guide: g.id, amountFen: input.amount, note: input.note } });
  });
  return guideView(ctx, id);
}
