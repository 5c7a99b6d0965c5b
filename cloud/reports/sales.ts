import { sql } from 'drizzle-orm';
import type { Db } from '../db/open.ts';
import { col, num, query, siteIs, type ReportDef, type ReportParams, type Row } from './model.ts';
import { daysOf, fromLocalHour, localHourBins } from './range.ts';

/*
 * Read from the ledger (cloud/ledger): every ticket line sold, whatever sold it, is one
 * `sales` row of an `orders` row, so quantities, visitors and gross figures come from `sales`
 * at the time of sale; who sold it (seller, kiosk, channel) and to whom (customer account)
 * from its order. Money taken and given back comes from `payments` only (a refund is a
 * negative payment; a channel's collection is a payment of method `channel`), so these
 * figures and the reconciliation report (reconciliation.ts) are the same numbers.
 */

const visitors = sql`coalesce(s.persons, s.quantity * tt.persons)`;
/** A group line: one ticket for the whole group, or a ticket type of the group category. */
const isGroup = sql`(s.group_mode = 'one' or tt.category = 'group')`;
/** Money held for customers (wristband wallets, account deposits) is in the books, not in sales. */
const saleOrder = sql`o.channel not in ('wallet', 'account')`;
const inRange = (column: ReturnType<typeof sql>, p: ReportParams) => sql`${column} >= ${p.range.start} and ${column} < ${p.range.end}`;
const saleLines = (p: ReportParams) => sql`sales s join ticket_types tt on tt.id = s.type_id where ${inRange(sql`s.created_at`, p)}${siteIs(sql`s.site`, p.site)}`;

const lineFigures = sql`count(*) as lines, coalesce(sum(s.quantity), 0) as quantity, coalesce(sum(${visitors}), 0) as visitors, coalesce(sum(s.total_fen), 0) as gross`;

const figureCols = [
  col('lines', 'int', '销售笔数', 'Sale lines'),
  col('quantity', 'int', '数量', 'Quantity'),
  col('visitors', 'int', '人数', 'Visitors'),
  col('grossFen', 'fen', '销售额', 'Gross'),
];
const figures = (r: Record<string, unknown>): Row => ({ lines: num(r.lines), quantity: num(r.quantity), visitors: num(r.visitors), grossFen: num(r.gross) });

/** Refunds (negative payments, every channel), by local day of the refund. */
async function refundsByDay(db: Db, p: ReportParams): Promise<Map<string, number>> {
  const payBin = localHourBins(sql`p.created_at`, p.range);
  const rows = await query(db, sql`
    select ${payBin.bin} as h, -sum(p.amount_fen) as amount from payments p join orders o on o.id = p.order_id
      where p.amount_fen < 0 and ${saleOrder} and ${inRange(sql`p.created_at`, p)}${siteIs(sql`o.site`, p.site)} group by 1`);
  const out = new Map<string, number>();
  for (const r of rows) {
    const day = fromLocalHour(payBin.hourOf(r.h)).day;
    out.set(day, (out.get(day) ?? 0) + num(r.amount));
  }
  return out;
}

export const salesByDay: ReportDef = {
  name: 'sales-by-day', zh: '每日销售', en: 'Sales by day', ranged: true,
  source: 'sales (time of sale); refunds: negative payments of every channel (time of refund)',
  columns: [col('day', 'day', '日期', 'Day'), ...figureCols, col('refundsFen', 'fen', '退款', 'Refunds'), col('netFen', 'fen', '净额', 'Net')],
  async run({ db }, p) {
    const hours = localHourBins(sql`s.created_at`, p.range);
    const rows = await query(db, sql`select ${hours.bin} as h, ${lineFigures} from ${saleLines(p)} group by 1`);
    const byDay = new Map<string, Row>();
    for (const r of rows) {
      const day = fromLocalHour(hours.hourOf(r.h)).day;
      const f = figures(r);
      const d = byDay.get(day);
      if (d) for (const k of Object.keys(f)) d[k] = num(d[k]) + num(f[k]);
      else byDay.set(day, f);
    }
    const refunds = await refundsByDay(db, p);
    return daysOf(p.range).map((day) => {
      const f = byDay.get(day) ?? { lines: 0, quantity: 0, visitors: 0, grossFen: 0 };
      const refundsFen = refunds.get(day) ?? 0;
      return { day, ...f, refundsFen, netFen: num(f.grossFen) - refundsFen };
    });
  },
};

export const salesByType: ReportDef = {
  name: 'sales-by-type', zh: '票种销售', en: 'Sales by ticket type', ranged: true,
  source: 'sales (time of sale)',
  columns: [col('type', 'text', '票种代码', 'Type code'), col('typeName', 'text', '票种', 'Ticket type'), col('category', 'text', '类别', 'Category'), ...figureCols, col('avgPriceFen', 'fen', '平均单价', 'Average price', false)],
  async run({ db }, p) {
    const rows = await query(db, sql`select tt.code, tt.name, tt.category, ${lineFigures} from ${saleLines(p)} group by tt.code, tt.name, tt.category order by gross desc, tt.code`);
    return rows.map((r) => {
      const f = figures(r);
      return { type: String(r.code), typeName: String(r.name), category: String(r.category), ...f, avgPriceFen: f.quantity ? Math.round(num(f.grossFen) / num(f.quantity)) : 0 };
    });
  },
};

const CHANNEL_NAMES: Record<string, [string, string]> = { window: ['售票窗口', 'Ticket window'], members: ['会员卡', 'Member cards'], direct: ['直接销售', 'Direct'], kiosk: ['自助售票机', 'Kiosks'] };

export const salesByChannel: ReportDef = {
  name: 'sales-by-channel', zh: '渠道销售', en: 'Sales by channel', ranged: true,
  source: 'sales (time of sale) by their order\'s channel: window, kiosk, members (member cards), direct, or the booking channel (online / OTA)',
  columns: [col('channel', 'text', '渠道代码', 'Channel code'), col('channelName', 'text', '渠道', 'Channel'), col('kind', 'text', '类型', 'Kind'), ...figureCols],
  async run({ db }, p) {
    const rows = await query(db, sql`
      select case when o.channel = 'channel' then coalesce(o.source, 'channel') else o.channel end as channel,
        max(ch.name) as name, max(ch.kind) as kind, ${lineFigures}
      from sales s join ticket_types tt on tt.id = s.type_id join orders o on o.id = s.order_id
        left join channels ch on o.channel = 'channel' and ch.code = o.source
      where ${inRange(sql`s.created_at`, p)}${siteIs(sql`s.site`, p.site)}
      group by 1 order by gross desc, 1`);
    return rows.map((r) => {
      const code = String(r.channel);
      const builtIn = CHANNEL_NAMES[code];
      return { channel: code, channelName: r.name === null ? builtIn?.[0] ?? code : String(r.name), kind: r.kind === null ? code : String(r.kind), ...figures(r) };
    });
  },
};

export const salesBySeller: ReportDef = {
  name: 'sales-by-seller', zh: '售票员销售', en: 'Sales by seller', ranged: true,
  source: 'orders: lines by the order\'s seller, kiosk or channel (time of sale); money by who took or refunded it (payments)',
  columns: [
    col('seller', 'text', '账号', 'Username'), col('sellerName', 'text', '售票员', 'Seller'), col('orders', 'int', '订单数', 'Orders'), ...figureCols,
    col('collectedFen', 'fen', '收款', 'Collected'), col('refundedFen', 'fen', '退款', 'Refunded'), col('netFen', 'fen', '实收', 'Net taken'),
  ],
  async run({ db }, p) {
    const sold = await query(db, sql`
      select coalesce(o.seller_id::text, o.channel || ':' || coalesce(o.source, '')) as uid, count(distinct s.order_id) as orders, ${lineFigures}
      from sales s join ticket_types tt on tt.id = s.type_id join orders o on o.id = s.order_id
      where ${inRange(sql`s.created_at`, p)}${siteIs(sql`s.site`, p.site)} group by 1`);
    const money = await query(db, sql`
      select coalesce(p.user_id::text, o.channel || ':' || coalesce(o.source, '')) as uid, coalesce(sum(p.amount_fen) filter (where p.amount_fen > 0), 0) as collected,
        coalesce(-sum(p.amount_fen) filter (where p.amount_fen < 0), 0) as refunded
      from payments p join orders o on o.id = p.order_id
      where ${saleOrder} and ${inRange(sql`p.created_at`, p)}${siteIs(sql`o.site`, p.site)} group by 1`);
    const ids = [...new Set([...sold, ...money].map((r) => String(r.uid)))];
    if (!ids.length) return [];
    const uuids = ids.filter((i) => /^[0-9a-f-]{36}$/.test(i));
    const users = uuids.length ? await query(db, sql`select id::text as id, username, display_name from users where id::text in (${sql.join(uuids.map((i) => sql`${i}`), sql`, `)})`) : [];
    const byId = new Map(users.map((u) => [String(u.id), u]));
    const soldBy = new Map(sold.map((r) => [String(r.uid), r]));
    const moneyBy = new Map(money.map((r) => [String(r.uid), r]));
    return ids.map((id) => {
      const s = soldBy.get(id) ?? {};
      const m = moneyBy.get(id) ?? {};
      const collectedFen = num(m.collected);
      const refundedFen = num(m.refunded);
      return {
        seller: String(byId.get(id)?.username ?? id), sellerName: String(byId.get(id)?.display_name ?? ''), orders: num(s.orders), ...figures(s),
        collectedFen, refundedFen, netFen: collectedFen - refundedFen,
      };
    }).sort((a, b) => b.netFen - a.netFen || a.seller.localeCompare(b.seller));
  },
};

const METHOD_NAMES: Record<string, string> = {
  cash: '现金', card: '银行卡', mobile: '移动支付', voucher: '代金券', points: '积分', deposit: '预存款', on_account: '挂账', signed_bill: '签单', channel: '渠道代收',
};

export const salesByPayment: ReportDef = {
  name: 'sales-by-payment', zh: '支付方式', en: 'Sales by payment method', ranged: true,
  source: 'payments of every channel (refunds are negative payments; a channel\'s collection is method "channel")',
  columns: [
    col('method', 'text', '支付方式代码', 'Method'), col('methodName', 'text', '支付方式', 'Method name'), col('payments', 'int', '收款笔数', 'Payments'),
    col('chargedFen', 'fen', '收款', 'Charged'), col('refunds', 'int', '退款笔数', 'Refunds'), col('refundedFen', 'fen', '退款', 'Refunded'), col('netFen', 'fen', '净额', 'Net'),
  ],
  async run({ db }, p) {
    const rows = await query(db, sql`
      select p.method, count(*) filter (where p.amount_fen > 0) as payments, coalesce(sum(p.amount_fen) filter (where p.amount_fen > 0), 0) as charged,
        count(*) filter (where p.amount_fen < 0) as refunds, coalesce(-sum(p.amount_fen) filter (where p.amount_fen < 0), 0) as refunded
      from payments p join orders o on o.id = p.order_id
      where ${saleOrder} and ${inRange(sql`p.created_at`, p)}${siteIs(sql`o.site`, p.site)} group by 1`);
    return rows.filter((r) => num(r.payments) || num(r.refunds)).map((r) => {
      const chargedFen = num(r.charged);
      const refundedFen = num(r.refunded);
      const method = String(r.method);
      return { method, methodName: METHOD_NAMES[method] ?? method, payments: num(r.payments), chargedFen, refunds: num(r.refunds), refundedFen, netFen: chargedFen - refundedFen };
    }).sort((a, b) => b.netFen - a.netFen || a.method.localeCompare(b.method));
  },
};

const WALK_IN = '散客';

/** Per customer account of window orders: lines, refunds, money owed on account. */
async function byAccount(db: Db, p: ReportParams, where = sql``) {
  const sold = await query(db, sql`
    select o.account_id as aid, count(distinct s.order_id) as orders, count(*) filter (where ${isGroup}) as groups,
      coalesce(sum(${visitors}) filter (where ${isGroup}), 0) as group_visitors, ${lineFigures}
    from sales s join ticket_types tt on tt.id = s.type_id join orders o on o.id = s.order_id
    where ${inRange(sql`s.created_at`, p)}${siteIs(sql`s.site`, p.site)}${where} group by 1`);
  const money = await query(db, sql`
    select o.account_id as aid, coalesce(-sum(p.amount_fen) filter (where p.amount_fen < 0), 0) as refunded,
      coalesce(sum(p.amount_fen) filter (where p.method in ('on_account', 'signed_bill')), 0) as credit
    from payments p join orders o on o.id = p.order_id
    where ${saleOrder} and ${inRange(sql`p.created_at`, p)}${siteIs(sql`o.site`, p.site)} group by 1`);
  const accounts = await query(db, sql`select a.id, a.name, a.category, c.kind, c.name as customer from customer_accounts a left join customers c on c.id = a.customer_id`);
  return { sold, money: new Map(money.map((m) => [String(m.aid), m])), accounts: new Map(accounts.map((a) => [String(a.id), a])) };
}

export const salesByCustomer: ReportDef = {
  name: 'sales-by-customer', zh: '客户销售', en: 'Sales by customer', ranged: true,
  source: 'window orders by customer account (no account: walk-in); refunds and credit (on account, signed bill) from payments',
  columns: [
    col('customer', 'text', '客户', 'Customer'), col('category', 'text', '客户类别', 'Category'), col('orders', 'int', '订单数', 'Orders'), ...figureCols,
    col('refundedFen', 'fen', '退款', 'Refunded'), col('creditFen', 'fen', '挂账/签单', 'On account'),
  ],
  async run({ db }, p) {
    const { sold, money, accounts } = await byAccount(db, p);
    const ids = new Set([...sold.map((r) => String(r.aid)), ...money.keys()]);
    const soldBy = new Map(sold.map((r) => [String(r.aid), r]));
    return [...ids].map((id) => {
      const a = accounts.get(id);
      const s = soldBy.get(id) ?? {};
      const m = money.get(id) ?? {};
      return {
        customer: a ? String(a.name) : WALK_IN, category: a ? String(a.category) : 'walk_in', orders: num(s.orders), ...figures(s),
        refundedFen: num(m.refunded), creditFen: num(m.credit),
      } as Row;
    }).sort((a, b) => num(b.grossFen) - num(a.grossFen) || String(a.customer).localeCompare(String(b.customer)));
  },
};

export const groups: ReportDef = {
  name: 'groups', zh: '团队销售', en: 'Group sales', ranged: true,
  source: 'sales lines sold to groups (one ticket for the group, or a group-category type) by local day, at the time of sale',
  columns: [col('day', 'day', '日期', 'Day'), col('groups', 'int', '团队数', 'Groups'), col('visitors', 'int', '人数', 'Visitors'), col('grossFen', 'fen', '销售额', 'Gross'), col('avgSize', 'number', '平均团队人数', 'Average group size')],
  async run({ db }, p) {
    const hours = localHourBins(sql`s.created_at`, p.range);
    const rows = await query(db, sql`select ${hours.bin} as h, count(*) as groups, coalesce(sum(${visitors}), 0) as visitors, coalesce(sum(s.total_fen), 0) as gross
      from ${saleLines(p)} and ${isGroup} group by 1`);
    const byDay = new Map<string, { groups: number; visitors: number; grossFen: number }>();
    for (const r of rows) {
      const day = fromLocalHour(hours.hourOf(r.h)).day;
      const d = byDay.get(day) ?? { groups: 0, visitors: 0, grossFen: 0 };
      d.groups += num(r.groups);
      d.visitors += num(r.visitors);
      d.grossFen += num(r.gross);
      byDay.set(day, d);
    }
    return daysOf(p.range).map((day) => {
      const d = byDay.get(day) ?? { groups: 0, visitors: 0, grossFen: 0 };
      return { day, ...d, avgSize: d.groups ? Math.round((d.visitors / d.groups) * 10) / 10 : 0 };
    });
  },
};

/** Accounts of travel agencies: in the customer register as an agency, or of the agency category. */
const agencyAccounts = sql`select a.id from customer_accounts a left join customers c on c.id = a.customer_id where a.category = 'agency' or c.kind = 'agency'`;

export const agencies: ReportDef = {
  name: 'agencies', zh: '旅行社业绩', en: 'Agency performance', ranged: true,
  source: 'window orders of the accounts of agencies (customer register kind agency, or account category agency), and orders of OTA channels (money from their payments; visitors = tickets sold)',
  columns: [
    col('kind', 'text', '类型', 'Kind'), col('agency', 'text', '旅行社/渠道', 'Agency or channel'), col('orders', 'int', '订单数', 'Orders'), col('groups', 'int', '团队数', 'Groups'),
    col('quantity', 'int', '数量', 'Quantity'), col('visitors', 'int', '人数', 'Visitors'), col('grossFen', 'fen', '销售额', 'Gross'),
    col('refundedFen', 'fen', '退款', 'Refunded'), col('creditFen', 'fen', '挂账/签单', 'On account'),
  ],
  async run({ db }, p) {
    const { sold, money, accounts } = await byAccount(db, p, sql` and o.account_id in (${agencyAccounts})`);
    const soldBy = new Map(sold.map((r) => [String(r.aid), r]));
    const out: Row[] = [];
    for (const [id, a] of accounts) {
      if (a.category !== 'agency' && a.kind !== 'agency') continue;
      const s = soldBy.get(id);
      const m = money.get(id);
      if (!s && !m) continue;
      out.push({
        kind: 'agency', agency: String(a.customer ?? a.name), orders: num(s?.orders), groups: num(s?.groups), quantity: num(s?.quantity), visitors: num(s?.visitors),
        grossFen: num(s?.gross), refundedFen: num(m?.refunded), creditFen: num(m?.credit),
      });
    }
    const ota = await query(db, sql`
      select ch.name, count(distinct o.id) filter (where p.amount_fen > 0) as orders,
        coalesce((select sum(s.quantity) from sales s join orders so on so.id = s.order_id
          where so.channel = 'channel' and so.source = ch.code and ${inRange(sql`s.created_at`, p)}${siteIs(sql`so.site`, p.site)}), 0) as quantity,
        coalesce(sum(p.amount_fen) filter (where p.amount_fen > 0), 0) as gross,
        coalesce(-sum(p.amount_fen) filter (where p.amount_fen < 0), 0) as refunded
      from payments p join orders o on o.id = p.order_id and o.channel = 'channel' join channels ch on ch.code = o.source
      where ch.kind = 'ota' and ${inRange(sql`p.created_at`, p)}${siteIs(sql`o.site`, p.site)}
      group by ch.name, ch.code`);
    for (const r of ota) {
      out.push({ kind: 'ota', agency: String(r.name), orders: num(r.orders), groups: 0, quantity: num(r.quantity), visitors: num(r.quantity), grossFen: num(r.gross), refundedFen: num(r.refunded), creditFen: 0 });
    }
    return out.sort((a, b) => num(b.grossFen) - num(a.grossFen) || String(a.agency).localeCompare(String(b.agency)));
  },
};

export const guides: ReportDef = {
  name: 'guides', zh: '导游司机带团', en: 'Guides and drivers', ranged: true,
  source: 'guide_ledger visits (groups brought) in the range, with the rebate they earned',
  columns: [
    col('guide', 'text', '导游/司机', 'Guide or driver'), col('kind', 'text', '类型', 'Kind'), col('agency', 'text', '所属旅行社', 'Agency'),
    col('groups', 'int', '带团次数', 'Groups'), col('visitors', 'int', '人数', 'Visitors'), col('rebateFen', 'fen', '返利', 'Rebate'),
  ],
  async run({ db }, p) {
    const rows = await query(db, sql`
      select g.id, g.name, g.kind, c.name as agency, count(*) as groups, coalesce(sum(l.persons), 0) as visitors, coalesce(sum(l.rebate_fen), 0) as rebate
      from guide_ledger l join guides g on g.id = l.guide_id left join customers c on c.id = g.customer_id
      where l.entry = 'visit' and l.at >= ${p.range.start} and l.at < ${p.range.end}
      group by g.id, g.name, g.kind, c.name order by visitors desc, g.id`);
    return rows.map((r) => ({ guide: String(r.name), kind: String(r.kind), agency: r.agency === null ? '' : String(r.agency), groups: num(r.groups), visitors: num(r.visitors), rebateFen: num(r.rebate) }));
  },
};
