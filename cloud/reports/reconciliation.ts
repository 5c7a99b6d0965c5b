import { daysOf } from './range.ts';
import { findings, isDifference, type CheckName } from '../ledger/invariants.ts';
import { col, type ReportDef, type Row } from './model.ts';

const CHECKS: Record<CheckName | 'day', [string, string]> = {
  day: ['当日总览', 'Day'],
  sales: ['销售 = 收款', 'Sales = payments'],
  books: ['账本收支', 'Book'],
  refunds: ['退款 = 退出的款', 'Refunds = money paid back'],
  shift: ['交班封存 = 收付款', 'Sealed shift = payments'],
  accounts: ['账户分录 = 账户收付款', 'Account entries = account payments'],
  wallets: ['一卡通 = 账本', 'Wallets = books'],
  owed: ['已扣款未出票', 'Paid, not issued'],
  stock: ['票卡售出 = 激活', 'Stock sold = activated'],
  tickets: ['出票 = 销售数量', 'Tickets = quantity sold'],
  orphans: ['账外记录', 'Outside the books'],
};

/**
 * The ledger's invariants side by side, day by day (cloud/ledger/invariants.ts): each day
 * starts with its overview row (how many differences; 0 = the day balances), then every
 * comparison with what was expected, what is there and the difference.
 */
export const reconciliation: ReportDef = {
  name: 'reconciliation', zh: '对账', en: 'Reconciliation', ranged: true,
  source: 'the ledger: orders, sales, payments, refunds, sealed shifts, account entries, stock moves, tickets (cloud/ledger/invariants.ts)',
  columns: [
    col('day', 'day', '日期', 'Day'), col('check', 'text', '检查代码', 'Check code'), col('checkName', 'text', '检查', 'Check'), col('subject', 'text', '对象', 'Subject'),
    col('expectedFen', 'fen', '应为', 'Expected', false), col('actualFen', 'fen', '实为', 'Actual', false), col('differenceFen', 'fen', '差额', 'Difference'),
    col('expectedCount', 'int', '应为(张)', 'Expected (count)', false), col('actualCount', 'int', '实为(张)', 'Actual (count)', false), col('differenceCount', 'int', '差数', 'Difference (count)'),
    col('detail', 'text', '说明', 'Detail'),
  ],
  async run({ db, config }, p) {
    const all = await findings(db, { start: p.range.start, end: p.range.end, timeZone: config.timeZone, site: p.site });
    const out: Row[] = [];
    for (const day of daysOf(p.range)) {
      const mine = all.filter((f) => f.day === day);
      const bad = mine.filter(isDifference);
      out.push({
        day, check: 'day', checkName: CHECKS.day[0], subject: bad.length ? `${bad.length} 处不平` : '平', expectedFen: null, actualFen: null, differenceFen: bad.reduce((s, f) => s + (f.differenceFen ?? 0), 0),
        expectedCount: null, actualCount: null, differenceCount: bad.length, detail: bad.map((f) => `${CHECKS[f.check][0]} ${f.subject}`).join('；'),
      });
      for (const f of mine) out.push({ ...f, checkName: CHECKS[f.check][0] });
    }
    return out;
  },
};
