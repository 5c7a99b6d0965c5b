import { and, eq, gt, isNotNull, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { vouchers, voucherRedemptions } from '../db/schema/index.ts';
import { cursorParam, limitParam, page, pageView, searchText, sortParam } from './paging.ts';

export const VOUCHER_STATES = ['unused', 'used', 'expired'] as const;

export const vouchersQuery = z.object({
  state: z.enum(VOUCHER_STATES).optional().describe('unused (and not expired), used, expired (unused)'),
  q: searchText.optional().describe('Start of the code'),
  sort: sortParam(['createdAt', 'code', 'valueFen'], '-createdAt'),
  limit: limitParam,
  cursor: cursorParam,
}).strict();

export const voucherItem = z.object({
  code: z.string(),
  valueFen: z.number().int(),
  expiresAt: z.string().nullable(),
  state: z.enum(VOUCHER_STATES),
  usedBy: z.object({ orderId: z.string(), paymentId: z.string(), at: z.string() }).nullable(),
  createdAt: z.string(),
}).meta({ id: 'VoucherSummary' });
export const vouchersPage = pageView(voucherItem).meta({ id: 'VoucherPage' });

export async function searchVouchers(ctx: CloudContext, q: z.output<typeof vouchersQuery>) {
  const now = new Date(ctx.now());
  const where: (SQL | undefined)[] = [];
  if (q.state === 'used') where.push(isNotNull(voucherRedemptions.code));
  if (q.state === 'unused') where.push(isNull(voucherRedemptions.code), or(isNull(vouchers.expiresAt), gt(vouchers.expiresAt, now)));
  if (q.state === 'expired') where.push(isNull(voucherRedemptions.code), lte(vouchers.expiresAt, now));
  if (q.q) where.push(sql`${vouchers.code} like ${`${q.q.replace(/[\\%_]/g, '')}%`}`);
  type Row = { voucher: typeof vouchers.$inferSelect; used: typeof voucherRedemptions.$inferSelect | null };
  const p = await page<Row>({
    sorts: {
      createdAt: { column: vouchers.createdAt, value: (r) => r.voucher.createdAt },
      code: { column: vouchers.code, value: (r) => r.voucher.code },
      valueFen: { column: vouchers.valueFen, value: (r) => r.voucher.valueFen },
    },
    sort: q.sort, id: vouchers.code, idOf: (r) => r.voucher.code, cursor: q.cursor, limit: q.limit,
    run: (after, orderBy, n) => ctx.db.select({ voucher: vouchers, used: voucherRedemptions }).from(vouchers)
      .leftJoin(voucherRedemptions, eq(voucherRedemptions.code, vouchers.code)).where(and(...where, after)).orderBy(...orderBy).limit(n),
  });
  return {
    items: p.items.map(({ voucher: v, used }) => ({
      code: v.code, valueFen: v.valueFen, expiresAt: v.expiresAt?.toISOString() ?? null,
      state: used ? 'used' as const : v.expiresAt && v.expiresAt.getTime() <= now.getTime() ? 'expired' as const : 'unused' as const,
      usedBy: used ? { orderId: used.orderId, paymentId: used.paymentId, at: used.createdAt.toISOString() } : null,
      createdAt: v.createdAt.toISOString(),
    })),
    next: p.next,
  };
}
