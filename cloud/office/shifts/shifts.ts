import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { formatYuan, fen } from '../../../shared/money/money.ts';
import { formatLocal } from '../../../shared/time/zone.ts';
import { hasRole, type AuthUser } from '../../auth/roles.ts';
import type { CloudContext } from '../../context.ts';
import { orders, payments, refunds, sales, shifts, stockMoves, ticketEvents, ticketTypes, users } from '../../db/schema/index.ts';
import { AppError, notFound } from '../../http/errors.ts';
import { METHODS } from '../../ledger/index.ts';
import { money, uuid } from '../payments/accounts.ts';
import { appendAudit, canonical, sha256, type Tx, auditedTx } from '../audit.ts';

export const openRequest = z.object({ floatFen: money }).strict();
export const closeRequest = z.object({
  /** What was counted at the window, per method (cash in the drawer, card slips, ...). */
  counted: z.object(Object.fromEntries(METHODS.map((m) => [m, money.optional()])) as Record<(typeof METHODS)[number], z.ZodOptional<typeof money>>).strict(),
}).strict();

export async function openShift(ctx: CloudContext, user: AuthUser, input: unknown) {
  const { floatFen } = openRequest.parse(input);
  if (!hasRole(user, 'seller', 'administrator')) throw new AppError('forbidden', 'only a window seller opens a shift', 403);
  const id = uuidv7();
  const at = ctx.now();
  await auditedTx(ctx.db, async (tx) => {
    // One open shift per seller: serialise this seller's opens.
    await tx.execute(sql`select pg_advisory_xact_lock(7303, hashtext(${user.id}))`);
    const [open] = await tx.select().from(shifts).where(and(eq(shifts.sellerId, user.id), isNull(shifts.closedAt)));
    if (open) throw new AppError('shift_open', `已有未交班的班次 / shift ${open.id} is still open`, 409, { shiftId: open.id });
    await tx.insert(shifts).values({ id, sellerId: user.id, floatFen, openedAt: new Date(at) });
    await appendAudit(tx, { at, actor: user.username, action: 'shift.open', subject: id, body: { floatFen } });
  });
  return getShift(ctx, id);
}

async function shiftRow(ctx: CloudContext, id: string) {
  if (!uuid.safeParse(id).success) throw notFound('shift', id);
  const [s] = await ctx.db.select().from(shifts).where(eq(shifts.id, id));
  if (!s) throw notFound('shift', id);
  return s;
}

/** The handover figures of a shift, from the immutable records made under it. */
async function figures(db: CloudContext['db'] | Tx, s: typeof shifts.$inferSelect, counted: Partial<Record<string, number>>, closedAt: number) {
  const [user] = s.sellerId ? await db.select().from(users).where(eq(users.id, s.sellerId)) : [];
  // A kiosk's shift of the day has no seller: the kiosk stands in for one.
  const seller = user ? { id: user.id, username: user.username, displayName: user.displayName }
    : { id: null, username: `kiosk:${s.site}/${s.device}`, displayName: `自助机 ${s.device} ${s.day}` };
  const ps = await db.select().from(payments).where(eq(payments.shiftId, s.id));
  const methods = [...new Set([...ps.map((p) => p.method), ...Object.keys(counted), 'cash'])].sort();
  const byMethod = methods.map((m) => {
    const mine = ps.filter((p) => p.method === m);
    const charges = mine.filter((p) => p.amountFen > 0).reduce((a, p) => a + p.amountFen, 0);
    const refunded = -mine.filter((p) => p.amountFen < 0).reduce((a, p) => a + p.amountFen, 0);
    const expected = charges - refunded + (m === 'cash' ? s.floatFen : 0);
    const c = counted[m];
    return { method: m, chargesFen: charges, refundsFen: refunded, expectedFen: expected, countedFen: c ?? null, differenceFen: c === undefined ? null : c - expected };
  });
  const shiftOrders = await db.select({ id: orders.id }).from(orders).where(and(eq(orders.shiftId, s.id), eq(orders.status, 'issued')));
  const lines = shiftOrders.length
    ? await db.select({ type: ticketTypes.code, quantity: sales.quantity, total: sales.totalFen, persons: sales.persons }).from(sales)
      .innerJoin(ticketTypes, eq(ticketTypes.id, sales.typeId)).where(inArray(sales.orderId, shiftOrders.map((o) => o.id)))
    : [];
  const byType = new Map<string, { type: string; quantity: number; persons: number; amountFen: number }>();
  for (const l of lines) {
    const v = byType.get(l.type) ?? { type: l.type, quantity: 0, persons: 0, amountFen: 0 };
    v.quantity += l.quantity;
    v.persons += l.persons ?? l.quantity;
    v.amountFen += l.total;
    byType.set(l.type, v);
  }
  const rs = await db.select().from(refunds).where(eq(refunds.shiftId, s.id));
  // Tickets sold in this shift and refunded elsewhere (by finance, in the office's cash book,
  // or in another seller's shift): not this drawer's money, but this shift's sales.
  const elsewhere = shiftOrders.length
    ? (await db.select().from(refunds).where(inArray(refunds.orderId, shiftOrders.map((o) => o.id)))).filter((r) => r.shiftId !== s.id)
    : [];
  const moves = await db.select({ to: stockMoves.toStatus, n: sql<number>`count(*)::int` }).from(stockMoves).where(eq(stockMoves.shiftId, s.id)).groupBy(stockMoves.toStatus);
  const events = await db.select({ kind: ticketEvents.kind, n: sql<number>`count(*)::int` }).from(ticketEvents).where(eq(ticketEvents.shiftId, s.id)).groupBy(ticketEvents.kind);
  return {
    shiftId: s.id,
    seller: { id: seller!.id, username: seller!.username, displayName: seller!.displayName },
    openedAt: s.openedAt.toISOString(), closedAt: new Date(closedAt).toISOString(), floatFen: s.floatFen,
    payments: byMethod,
    totals: { chargesFen: byMethod.reduce((a, m) => a + m.chargesFen, 0), refundsFen: byMethod.reduce((a, m) => a + m.refundsFen, 0) },
    orders: shiftOrders.length,
    tickets: [...byType.values()].sort((a, b) => a.type.localeCompare(b.type)),
    refunds: { count: rs.length, amountFen: rs.reduce((a, r) => a + r.amountFen, 0), tickets: rs.reduce((a, r) => a + r.ticketIds.length, 0) },
    refundedElsewhere: { count: elsewhere.length, amountFen: elsewhere.reduce((a, r) => a + r.amountFen, 0), tickets: elsewhere.reduce((a, r) => a + r.ticketIds.length, 0) },
    stock: Object.fromEntries(moves.map((m) => [m.to, m.n])),
    ticketEvents: Object.fromEntries(events.map((e) => [e.kind, e.n])),
  };
}

/**
 * Handover (交班): counted amounts against what the records say, per method; tickets by
 * type, stock used, refunds. The report is frozen and sealed: its hash goes into the audit
 * chain, and the shift takes no more sales.
 */
export async function closeShift(ctx: CloudContext, user: AuthUser, id: string, input: unknown) {
  const { counted } = closeRequest.parse(input);
  const s = await shiftRow(ctx, id);
  if (s.sellerId !== user.id && !hasRole(user, 'finance', 'administrator')) throw new AppError('forbidden', 'not your shift', 403);
  const at = ctx.now();
  await auditedTx(ctx.db, async (tx) => {
    const [locked] = await tx.select().from(shifts).where(eq(shifts.id, id)).for('update');
    if (locked!.closedAt) throw new AppError('shift_closed', 'shift is already closed', 409);
    // Orders of this shift still waiting on a mobile payment would change its figures.
    const [pending] = await tx.select({ id: orders.id }).from(orders).where(and(eq(orders.shiftId, id), eq(orders.status, 'pending')));
    if (pending) throw new AppError('shift_has_pending', `order ${pending.id} is still waiting for its mobile payment`, 409);
    const report = await figures(tx, locked!, counted, at);
    const reportHash = sha256(canonical(report));
    await tx.update(shifts).set({ closedAt: new Date(at), report, reportHash }).where(eq(shifts.id, id));
    await appendAudit(tx, { at, actor: user.username, action: 'shift.close', subject: id, body: { shiftId: id, reportHash } });
  });
  return getShift(ctx, id);
}

/**
 * A shift a site hub opened and closed (cloud/hub-sales/record.ts), made an HQ shift when its
 * close arrives: the row as at the hub, and its handover report computed here, by HQ's own
 * rules, from what HQ recorded of the hub's sales and refunds in it (so HQ's shift report
 * shows the hub's shift to the fen), sealed like any other.
 */
export async function recordClosedShift(tx: Tx, s: { id: string; sellerId: string; site: string; floatFen: number; openedAt: number; closedAt: number; counted: Partial<Record<string, number>>; actor: string }) {
  const row = { id: s.id, sellerId: s.sellerId, site: s.site, floatFen: s.floatFen, openedAt: new Date(s.openedAt), closedAt: null };
  await tx.insert(shifts).values(row);
  const report = await figures(tx, { ...row, device: null, day: null, report: null, reportHash: null }, s.counted, s.closedAt);
  const reportHash = sha256(canonical(report));
  await tx.update(shifts).set({ closedAt: new Date(s.closedAt), report, reportHash }).where(eq(shifts.id, s.id));
  await appendAudit(tx, { at: s.closedAt, actor: s.actor, action: 'shift.close', subject: s.id, body: { shiftId: s.id, reportHash } });
  return report;
}

export async function getShift(ctx: CloudContext, id: string) {
  const s = await shiftRow(ctx, id);
  return { id: s.id, sellerId: s.sellerId, floatFen: s.floatFen, openedAt: s.openedAt.toISOString(), closedAt: s.closedAt?.toISOString() ?? null, report: s.report, reportHash: s.reportHash };
}

export async function currentShift(ctx: CloudContext, user: AuthUser) {
  const [s] = await ctx.db.select().from(shifts).where(and(eq(shifts.sellerId, user.id), isNull(shifts.closedAt))).orderBy(asc(shifts.openedAt));
  if (!s) throw new AppError('no_open_shift', 'no open shift', 404);
  return getShift(ctx, s.id);
}

const NAMES: Record<string, string> = { cash: '现金', card: '银行卡', mobile: '移动支付', voucher: '代金券', points: '积分', deposit: '预存款', on_account: '挂账', signed_bill: '签单' };
const y = (n: number | null) => (n === null ? '—' : formatYuan(fen(n)));

/** The sealed report as printed for the handover slip. */
export async function printShift(ctx: CloudContext, id: string): Promise<string> {
  const s = await shiftRow(ctx, id);
  if (!s.report) throw new AppError('shift_open', 'shift is not closed yet', 409);
  const r = s.report as Awaited<ReturnType<typeof figures>>;
  const tz = ctx.config.timeZone;
  const lines = [
    '交班报表 / Shift handover',
    `售票员 ${r.seller.displayName} (${r.seller.username})`,
    `开班 ${formatLocal(Date.parse(r.openedAt), tz)}  交班 ${formatLocal(Date.parse(r.closedAt), tz)}`,
    `备用金 ${y(r.floatFen)}`,
    '',
    '支付方式      应收        实收        差额',
    ...r.payments.map((p) => `${(NAMES[p.method] ?? p.method).padEnd(8, '　')}${y(p.expectedFen).padStart(10)}  ${y(p.countedFen).padStart(10)}  ${y(p.differenceFen).padStart(10)}`),
    '',
    `订单 ${r.orders}  退款 ${r.refunds.count} 笔 ${y(r.refunds.amountFen)}`,
    ...(r.refundedElsewhere?.count ? [`本班售出、由财务或他人退款 ${r.refundedElsewhere.count} 笔 ${y(r.refundedElsewhere.amountFen)}（不在本班钱箱）`] : []),
    ...r.tickets.map((t) => `  ${t.type}  ${t.quantity} 张/人  ${y(t.amountFen)}`),
    `票卡 ${Object.entries(r.stock).map(([k, v]) => `${k} ${v}`).join('  ') || '—'}`,
    '',
    `封存 ${s.reportHash}`,
  ];
  return `${lines.join('\n')}\n`;
}
