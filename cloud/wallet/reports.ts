import { sql } from 'drizzle-orm';
import { startOfBusinessDay, addDays } from '../../shared/time/zone.ts';
import { col, num, query, siteIs, type ReportDef, type Row } from '../reports/model.ts';
import { daysOf } from '../reports/range.ts';

/** The UTC bounds of one business day. */
const bounds = (day: string, tz: string) => ({ start: new Date(startOfBusinessDay(day, tz)), end: new Date(startOfBusinessDay(addDays(day, 1), tz)) });

/**
 * 消费点结算: each shop's takings per day from the wallet journal (charges and their refunds,
 * by the time the band was charged), with a tenant's commission and what the park owes it.
 */
export const shopSettlement: ReportDef = {
  name: 'shop-settlement', zh: '消费点结算', en: 'Shop settlement', ranged: true,
  source: 'wallet journal: lines on shop accounts (charges and refunds at the POS, time of charge)',
  columns: [
    col('day', 'day', '日期', 'Day'), col('shop', 'text', '消费点代码', 'Shop code'), col('shopName', 'text', '消费点', 'Shop'),
    col('charges', 'int', '笔数', 'Charges'), col('salesFen', 'fen', '消费', 'Sales'), col('refundsFen', 'fen', '退款', 'Refunds'),
    col('netFen', 'fen', '净额', 'Net'), col('commissionFen', 'fen', '佣金', 'Commission'), col('payableFen', 'fen', '应付商户', 'Payable to tenant'),
  ],
  async run({ db }, p) {
    const out: Row[] = [];
    for (const day of daysOf(p.range)) {
      const { start, end } = bounds(day, p.range.timeZone);
      const rows = await query(db, sql`
        select s.code, s.name, s.tenant, s.commission_bp,
          count(*) filter (where m.kind = 'charge') as charges,
          coalesce(sum(-l.amount_fen) filter (where m.kind = 'charge'), 0) as sales,
          coalesce(sum(l.amount_fen) filter (where m.kind = 'charge_void'), 0) as refunds
        from wallet_lines l join wallet_movements m on m.id = l.movement_id join shops s on l.account = 'shop:' || s.code
        where m.at >= ${start.toISOString()}::timestamptz and m.at < ${end.toISOString()}::timestamptz ${siteIs(sql`m.site`, p.site)}
        group by s.code, s.name, s.tenant, s.commission_bp order by s.code`);
      for (const r of rows) {
        const net = num(r.sales) - num(r.refunds);
        // Commission rounds half up to the fen, per shop and day (the figure the tenant is paid on).
        const commission = r.tenant ? Math.floor((net * num(r.commission_bp) + 5000) / 10_000) : 0;
        out.push({ day, shop: String(r.code), shopName: String(r.name), charges: num(r.charges), salesFen: num(r.sales), refundsFen: num(r.refunds), netFen: net, commissionFen: commission, payableFen: r.tenant ? net - commission : 0 });
      }
    }
    return out;
  },
};

/**
 * 一卡通负债: what the park owes wristband holders at the end of each day (balances, band and
 * locker deposits not yet refunded), with the day's money in and out of wallets.
 */
export const walletLiabilities: ReportDef = {
  name: 'wallet-liabilities', zh: '一卡通负债', en: 'Wallet liabilities', ranged: true,
  source: 'wallet journal: wallet, deposit and locker accounts (liability = minus their sum at the end of the day)',
  columns: [
    col('day', 'day', '日期', 'Day'), col('paidInFen', 'fen', '收款（押金+充值）', 'Paid in (deposits + top-ups)'), col('spentFen', 'fen', '消费', 'Spent at shops'),
    col('feesFen', 'fen', '赔偿与柜费', 'Band and locker fees'), col('paidOutFen', 'fen', '退款', 'Refunded'), col('overspentFen', 'fen', '超额消费', 'Over-spent'),
    col('liabilityFen', 'fen', '日终负债', 'Owed at end of day', false),
  ],
  async run({ db }, p) {
    const out: Row[] = [];
    for (const day of daysOf(p.range)) {
      const { start, end } = bounds(day, p.range.timeZone);
      const range = sql`m.at >= ${start.toISOString()}::timestamptz and m.at < ${end.toISOString()}::timestamptz ${siteIs(sql`m.site`, p.site)}`;
      const [f] = await query(db, sql`
        select coalesce(sum(l.amount_fen) filter (where l.account like 'pay:%' and l.amount_fen > 0), 0) as paid_in,
          coalesce(sum(-l.amount_fen) filter (where l.account like 'pay:%' and l.amount_fen < 0), 0) as paid_out,
          coalesce(sum(-l.amount_fen) filter (where l.account like 'shop:%'), 0) as spent,
          coalesce(sum(-l.amount_fen) filter (where l.account like 'fee:%'), 0) as fees
        from wallet_lines l join wallet_movements m on m.id = l.movement_id where ${range}`);
      const [o] = await query(db, sql`select coalesce(sum(c.overspent_fen), 0) as o from pos_charges c where c.at >= ${start.toISOString()}::timestamptz and c.at < ${end.toISOString()}::timestamptz ${siteIs(sql`c.site`, p.site)}`);
      const [liab] = await query(db, sql`
        select coalesce(-sum(l.amount_fen), 0) as owed from wallet_lines l join wallet_movements m on m.id = l.movement_id
        where (l.account like 'wallet:%' or l.account like 'deposit:%' or l.account like 'locker:%') and m.at < ${end.toISOString()}::timestamptz ${siteIs(sql`m.site`, p.site)}`);
      out.push({ day, paidInFen: num(f?.paid_in), spentFen: num(f?.spent), feesFen: num(f?.fees), paidOutFen: num(f?.paid_out), overspentFen: num(o?.o), liabilityFen: num(liab?.owed) });
    }
    return out;
  },
};

export const WALLET_REPORTS = [shopSettlement, walletLiabilities];
