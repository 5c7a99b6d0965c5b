import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/open.ts';
import { businessDay } from '../../shared/time/zone.ts';
import { fen, formatYuan } from '../../shared/money/money.ts';

/** Money in a detail line, as people read it. */
const y = (v: number) => `¥${formatYuan(fen(v))}`;

/*
 * The ledger's invariants, checked by queries over any range of business days:
 * 1. sales: per day, channel and seller, sales gross - discounts = payments taken, and an
 *    order's total = its lines; no sale line outside an order;
 * 2. books: per day, book and method, payments - refunds; a refund = the negative payments it
 *    made; a closed shift's sealed figures = its payments now; no payment outside every book;
 * 3. accounts: the account entries of sales = their account payments; no deposit or points
 *    balance ever below zero;
 * 3b. wallets (water-park wristbands): the wallets' payments in the books = the money lines of
 *    their journal, per method; what is owed to band holders (balances and deposits, the sum of
 *    their journal's wallet lines) = money taken for wallets less what the shops and fees took;
 *    each wallet's cached balance = its lines; every movement balances;
 * 4. stock and tickets: pre-printed stock sold = tickets activated on it; a sale's tickets =
 *    its quantity (one for a group ticket), reissues aside.
 * Every row names what it compares; a row with a difference is a finding.
 */

export type CheckName = 'sales' | 'books' | 'shift' | 'refunds' | 'accounts' | 'wallets' | 'owed' | 'stock' | 'tickets' | 'orphans';
export interface Finding {
  day: string;
  check: CheckName;
  /** What was compared: a channel and seller, a book and method, a shift, an account. */
  subject: string;
  expectedFen: number | null;
  actualFen: number | null;
  differenceFen: number | null;
  expectedCount: number | null;
  actualCount: number | null;
  differenceCount: number | null;
  detail: string;
}
export interface Range { start: Date; end: Date; timeZone: string; site?: string }

async function rows(db: Db, q: SQL): Promise<Record<string, unknown>[]> {
  const r = (await db.execute(q)) as unknown as { rows?: Record<string, unknown>[] } & Record<string, unknown>[];
  return r.rows ?? r;
}
const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const at = (v: unknown) => (v instanceof Date ? v.getTime() : Date.parse(String(v)));
const within = (col: SQL, r: Range) => sql`${col} >= ${r.start} and ${col} < ${r.end}`;
const siteIs = (col: SQL, r: Range) => (r.site === undefined ? sql`` : sql` and ${col} = ${r.site}`);

function money(day: string, check: CheckName, subject: string, expected: number, actual: number, detail = ''): Finding {
  return { day, check, subject, expectedFen: expected, actualFen: actual, differenceFen: actual - expected, expectedCount: null, actualCount: null, differenceCount: null, detail };
}
function count(day: string, check: CheckName, subject: string, expected: number, actual: number, detail = ''): Finding {
  return { day, check, subject, expectedFen: null, actualFen: null, differenceFen: null, expectedCount: expected, actualCount: actual, differenceCount: actual - expected, detail };
}

/** Sums rows into groups keyed by day and a subject. */
function fold<T extends Record<string, number>>(list: { day: string; subject: string; v: T }[]): Map<string, { day: string; subject: string; v: T }> {
  const out = new Map<string, { day: string; subject: string; v: T }>();
  for (const r of list) {
    const k = `${r.day}\u0000${r.subject}`;
    const g = out.get(k);
    if (!g) out.set(k, { day: r.day, subject: r.subject, v: { ...r.v } });
    else for (const key of Object.keys(r.v)) (g.v as Record<string, number>)[key] = (g.v as Record<string, number>)[key]! + r.v[key]!;
  }
  return out;
}

/** Who sold an order: the user, or the kiosk / channel it came from. */
const who = sql`coalesce(u.username, o.channel || ':' || coalesce(o.source, ''))`;

export async function findings(db: Db, r: Range): Promise<Finding[]> {
  const tz = r.timeZone;
  // Every zone's offset is a multiple of 15 minutes, so one business-day lookup per quarter hour
  // serves every row in it (Intl's formatToParts per row was most of a 100,000-sale month's time).
  const quarters = new Map<number, string>();
  const dayOf = (v: unknown) => {
    const ms = at(v);
    const q = Math.floor(ms / 900_000);
    let d = quarters.get(q);
    if (d === undefined) quarters.set(q, (d = businessDay(q * 900_000, tz)));
    return d;
  };
  const out: Finding[] = [];

  // 1. Sales against the money taken for them, per issued order, summed per day/channel/seller.
  // Grouped joins rather than a sub-select per order: one pass over the range's lines and payments.
  const orders = await rows(db, sql`
    with o as (
      select o.id, o.issued_at, o.channel, o.seller_id, o.source, o.total_fen from orders o
      where o.status = 'issued' and o.channel not in ('wallet', 'account') and ${within(sql`o.issued_at`, r)}${siteIs(sql`o.site`, r)}
    ), s as (
      select s.order_id, sum(coalesce(s.list_price_fen, s.unit_price_fen) * s.quantity) as gross, sum(s.total_fen) as sold
      from sales s where s.order_id in (select id from o) group by s.order_id
    ), p as (
      select p.order_id, sum(p.amount_fen) as paid from payments p where p.amount_fen > 0 and p.order_id in (select id from o) group by p.order_id
    )
    select o.id, o.issued_at, o.channel, ${who} as who, o.total_fen, coalesce(s.gross, 0) as gross, coalesce(s.sold, 0) as sold, coalesce(p.paid, 0) as paid
    from o left join users u on u.id = o.seller_id left join s on s.order_id = o.id left join p on p.order_id = o.id`);
  const sales = fold(orders.map((o) => ({
    day: dayOf(o.issued_at), subject: `${o.channel} / ${o.who}`,
    v: { gross: n(o.gross), sold: n(o.sold), paid: n(o.paid), total: n(o.total_fen), orders: 1, bad: n(o.sold) !== n(o.paid) || n(o.sold) !== n(o.total_fen) ? 1 : 0 },
  })));
  for (const g of sales.values()) {
    const v = g.v;
    const f = money(g.day, 'sales', g.subject, v.gross - (v.gross - v.sold), v.paid,
      `${v.orders} 单；销售 ${y(v.gross)} − 折扣 ${y(v.gross - v.sold)} = ${y(v.sold)}；收款 ${y(v.paid)}${v.total !== v.sold ? `；订单合计 ${y(v.total)} 与明细 ${y(v.sold)} 不符` : ''}${v.bad ? `；${v.bad} 单不平` : ''}`);
    // Differences that cancel out across orders are still differences.
    if (v.bad && f.differenceFen === 0) f.differenceCount = v.bad;
    out.push(f);
  }
  // Money taken for a sale whose tickets were never issued (a kiosk charged, then sold out):
  // owed to the visitor, a named difference until it is refunded or the tickets are issued.
  const owed = await rows(db, sql`
    select o.id, o.created_at, o.channel, ${who} as who, coalesce((select sum(p.amount_fen) from payments p where p.order_id = o.id), 0) as held
    from orders o left join users u on u.id = o.seller_id
    where o.status = 'owed' and ${within(sql`o.created_at`, r)}${siteIs(sql`o.site`, r)}`);
  for (const o of owed) {
    if (n(o.held) !== 0) out.push(money(dayOf(o.created_at), 'owed', `${o.who} / 订单 ${o.id}`, 0, n(o.held), `已扣款 ${y(n(o.held))} 未出票，待退款或补出票 / paid, not issued: refund it or issue the tickets`));
  }
  const orphanSales = await rows(db, sql`
    select s.id, s.created_at, s.total_fen from sales s left join orders o on o.id = s.order_id
    where (o.id is null or o.status <> 'issued' or o.channel in ('wallet', 'account')) and ${within(sql`s.created_at`, r)}${siteIs(sql`s.site`, r)}`);
  for (const s of orphanSales) out.push(money(dayOf(s.created_at), 'orphans', `sale ${s.id}`, 0, n(s.total_fen), '销售记录不属于任何已出票订单 / a sale line outside every issued order'));

  // 2. Books: payments and refunds per day, book and method.
  const pays = await rows(db, sql`
    select p.created_at, coalesce(p.book, '?') as book, p.method, p.amount_fen, p.shift_id, p.refund_id, sh.id as shift_found
    from payments p join orders o on o.id = p.order_id left join shifts sh on sh.id = p.shift_id
    where ${within(sql`p.created_at`, r)}${siteIs(sql`o.site`, r)}`);
  const books = fold(pays.map((p) => ({
    day: dayOf(p.created_at), subject: `${p.book} / ${p.method}`,
    v: { in: n(p.amount_fen) > 0 ? n(p.amount_fen) : 0, out: n(p.amount_fen) < 0 ? -n(p.amount_fen) : 0, count: 1 },
  })));
  for (const g of books.values()) out.push(money(g.day, 'books', g.subject, g.v.in - g.v.out, g.v.in - g.v.out, `收 ${y(g.v.in)}，退 ${y(g.v.out)}，${g.v.count} 笔`));
  for (const p of pays) {
    const ok = (p.book === 'shift' && p.shift_id !== null && p.shift_found !== null) || ((p.book === 'office' || p.book === 'channel') && p.shift_id === null);
    if (!ok) out.push(money(dayOf(p.created_at), 'orphans', `payment ${p.method}`, 0, n(p.amount_fen), `收付款不在任何账本中（${p.book}${p.shift_id ? `，班次 ${p.shift_id}` : ''}）/ a payment outside every book`));
  }
  // (payments.refund_id has no index: one grouped pass, not a scan per refund)
  const refunds = await rows(db, sql`
    with rf as (
      select rf.id, rf.created_at, coalesce(rf.book, '?') as book, rf.amount_fen from refunds rf join orders o on o.id = rf.order_id
      where ${within(sql`rf.created_at`, r)}${siteIs(sql`o.site`, r)}
    ), back as (
      select p.refund_id, -sum(p.amount_fen) as paid_back from payments p where p.refund_id in (select id from rf) group by p.refund_id
    )
    select rf.id, rf.created_at, rf.book, rf.amount_fen, coalesce(back.paid_back, 0) as paid_back from rf left join back on back.refund_id = rf.id`);
  const rfs = fold(refunds.map((x) => ({ day: dayOf(x.created_at), subject: String(x.book), v: { asked: n(x.amount_fen), paid: n(x.paid_back), count: 1 } })));
  for (const g of rfs.values()) out.push(money(g.day, 'refunds', g.subject, g.v.asked, g.v.paid, `${g.v.count} 笔退款：退款记录 ${y(g.v.asked)}，退出的款 ${y(g.v.paid)}`));

  // Closed shifts: what was sealed at the handover against the payments in the shift now.
  const shifts = await rows(db, sql`
    select sh.id, sh.closed_at, sh.report, coalesce(u.username, 'kiosk:' || coalesce(sh.device, '')) as who
    from shifts sh left join users u on u.id = sh.seller_id
    where sh.closed_at is not null and ${within(sql`sh.closed_at`, r)}`);
  for (const s of shifts) {
    const report = (typeof s.report === 'string' ? JSON.parse(s.report) : s.report) as { payments?: { method: string; chargesFen: number; refundsFen: number }[] } | null;
    const now = await rows(db, sql`select method, coalesce(sum(amount_fen), 0) as net from payments where shift_id = ${String(s.id)} group by method`);
    const sealed = new Map((report?.payments ?? []).map((m) => [m.method, m.chargesFen - m.refundsFen]));
    const actual = new Map(now.map((m) => [String(m.method), n(m.net)]));
    for (const method of new Set([...sealed.keys(), ...actual.keys()])) {
      const e = sealed.get(method) ?? 0;
      const a = actual.get(method) ?? 0;
      if (e === 0 && a === 0) continue;
      out.push(money(dayOf(s.closed_at), 'shift', `${s.who} / ${method}`, e, a, `交班封存 ${y(e)}，现有收付款 ${y(a)}（班次 ${s.id}）`));
    }
  }

  // 3. Accounts: entries made by sales and refunds against their account payments.
  const acct = await rows(db, sql`
    select p.created_at, p.method, p.amount_fen from payments p join orders o on o.id = p.order_id
    where p.method in ('points', 'deposit', 'on_account', 'signed_bill') and ${within(sql`p.created_at`, r)}${siteIs(sql`o.site`, r)}`);
  const entries = await rows(db, sql`
    select e.created_at, e.ledger, e.amount from account_entries e join orders o on o.id = e.order_id
    where o.channel <> 'account' and ${within(sql`e.created_at`, r)}${siteIs(sql`o.site`, r)}`);
  const ledgerOf: Record<string, string> = { points: 'points', deposit: 'deposit', on_account: 'credit', signed_bill: 'credit' };
  const acc = fold([
    // A payment from a deposit or points takes from the account; one on credit adds to what is owed.
    ...acct.map((p) => ({ day: dayOf(p.created_at), subject: ledgerOf[String(p.method)]!, v: { expected: ledgerOf[String(p.method)] === 'credit' ? n(p.amount_fen) : -n(p.amount_fen), actual: 0 } })),
    ...entries.map((e) => ({ day: dayOf(e.created_at), subject: String(e.ledger), v: { expected: 0, actual: n(e.amount) } })),
  ]);
  for (const g of acc.values()) out.push(money(g.day, 'accounts', g.subject, g.v.expected, g.v.actual, `账户收付款 ${y(g.v.expected)}，账户分录 ${y(g.v.actual)}`));
  // Money paid into (or back out of) an account at a desk: its account order's payments
  // against the entries they made (a deposit raised, a credit paid off).
  const held = await rows(db, sql`
    select p.created_at as at, p.amount_fen as paid, 0 as moved from payments p join orders o on o.id = p.order_id
    where o.channel = 'account' and ${within(sql`p.created_at`, r)}${siteIs(sql`o.site`, r)}
    union all
    select e.created_at, 0, case when e.ledger = 'credit' then -e.amount else e.amount end from account_entries e join orders o on o.id = e.order_id
    where o.channel = 'account' and ${within(sql`e.created_at`, r)}${siteIs(sql`o.site`, r)}`);
  const topups = fold(held.map((x) => ({ day: dayOf(x.at), subject: '充值 / top-ups', v: { paid: n(x.paid), moved: n(x.moved) } })));
  for (const g of topups.values()) out.push(money(g.day, 'accounts', g.subject, g.v.paid, g.v.moved, `充值收款 ${y(g.v.paid)}，入账 ${y(g.v.moved)}`));
  const negative = await rows(db, sql`
    select account_id, ledger, min(running) as low, max(created_at) as last from (
      select account_id, ledger, created_at, sum(amount) over (partition by account_id, ledger order by created_at, id) as running
      from account_entries where ledger in ('deposit', 'points') and created_at < ${r.end}
    ) x group by account_id, ledger having min(running) < 0`);
  for (const x of negative) out.push(money(dayOf(x.last), 'accounts', `${x.ledger} ${x.account_id}`, 0, n(x.low), '余额曾低于零 / the balance went below zero'));

  out.push(...(await walletFindings(db, r, dayOf)));

  // 4. Stock sold against tickets activated on it; tickets of each sale.
  const stock = await rows(db, sql`
    select m.created_at, m.serial, (select count(*) from stock_items i join tickets t on t.id = i.ticket_id
      join credentials c on c.ticket_id = t.id and c.kind = 'barcode' and c.value = i.serial where i.serial = m.serial and i.status = 'sold') as activated
    from stock_moves m where m.to_status = 'sold' and ${within(sql`m.created_at`, r)}`);
  const st = fold(stock.map((m) => ({ day: dayOf(m.created_at), subject: 'stock', v: { sold: 1, activated: Math.min(1, n(m.activated)) } })));
  for (const g of st.values()) out.push(count(g.day, 'stock', '票卡售出 / stock sold', g.v.sold, g.v.activated, `售出 ${g.v.sold} 张，已激活为票 ${g.v.activated} 张`));
  const tix = await rows(db, sql`
    with s as (
      select s.id, s.created_at, case when s.group_mode = 'one' then 1 else s.quantity end as expected from sales s
      where ${within(sql`s.created_at`, r)}${siteIs(sql`s.site`, r)}
    ), t as (
      select t.sale_id, count(*) as n from tickets t where t.sale_id in (select id from s) group by t.sale_id
    ), re as (
      select t.sale_id, count(*) as n from ticket_events e join tickets t on t.id = e.ticket_id where e.kind = 'reissue' group by t.sale_id
    )
    select s.created_at, s.expected, coalesce(t.n, 0) - coalesce(re.n, 0) as actual from s left join t on t.sale_id = s.id left join re on re.sale_id = s.id`);
  const tk = fold(tix.map((t) => ({ day: dayOf(t.created_at), subject: 'tickets', v: { expected: n(t.expected), actual: n(t.actual) } })));
  for (const g of tk.values()) out.push(count(g.day, 'tickets', '销售出票 / tickets of sales', g.v.expected, g.v.actual, `应出票 ${g.v.expected} 张，实有 ${g.v.actual} 张`));

  const order: CheckName[] = ['sales', 'books', 'refunds', 'shift', 'accounts', 'wallets', 'owed', 'stock', 'tickets', 'orphans'];
  return out.sort((a, b) => a.day.localeCompare(b.day) || order.indexOf(a.check) - order.indexOf(b.check) || a.subject.localeCompare(b.subject));
}

export const isDifference = (f: Finding) => (f.differenceFen ?? 0) !== 0 || (f.differenceCount ?? 0) !== 0;

/** 3b. Wristband wallets: their journal (cloud/ledger/wallet.ts) against the books, and itself. */
async function walletFindings(db: Db, r: Range, dayOf: (v: unknown) => string): Promise<Finding[]> {
  const out: Finding[] = [];
  const site = (col: SQL) => siteIs(col, r);
  // Money at the desks: the books' payments of wallet orders against the journal's pay: lines.
  const desk = await rows(db, sql`
    select p.created_at as at, p.method, p.amount_fen as booked, 0 as journal from payments p join orders o on o.id = p.order_id
    where o.channel = 'wallet' and ${within(sql`p.created_at`, r)}${site(sql`o.site`)}
    union all
    select m.at, substr(l.account, 5), 0, l.amount_fen from wallet_lines l join wallet_movements m on m.id = l.movement_id
    where l.account like 'pay:%' and ${within(sql`m.at`, r)}${site(sql`m.site`)}`);
  const byMethod = fold(desk.map((x) => ({ day: dayOf(x.at), subject: `一卡通 / ${x.method}`, v: { booked: n(x.booked), journal: n(x.journal) } })));
  for (const g of byMethod.values()) out.push(money(g.day, 'wallets', g.subject, g.v.journal, g.v.booked, `钱包分录收付 ${y(g.v.journal)}，账本收付款 ${y(g.v.booked)}`));

  // What is owed to band holders at the end of each day with wallet money: the journal's
  // wallet, deposit and locker lines, against the books' wallet money less shop takings and fees.
  const history = await rows(db, sql`
    select p.created_at as at, p.amount_fen as paid, 0 as earned, 0 as owed from payments p join orders o on o.id = p.order_id
    where o.channel = 'wallet' and p.created_at < ${r.end}${site(sql`o.site`)}
    union all
    select m.at, 0, case when l.account like 'shop:%' or l.account like 'fee:%' then -l.amount_fen else 0 end,
      case when l.account like 'wallet:%' or l.account like 'deposit:%' or l.account like 'locker:%' then -l.amount_fen else 0 end
    from wallet_lines l join wallet_movements m on m.id = l.movement_id
    where l.account not like 'pay:%' and m.at < ${r.end}${site(sql`m.site`)}`);
  const startDay = dayOf(r.start);
  const perDay = fold(history.map((x) => ({ day: dayOf(x.at), subject: '', v: { paid: n(x.paid), earned: n(x.earned), owed: n(x.owed) } })));
  const days = [...perDay.values()].sort((a, b) => a.day.localeCompare(b.day));
  const run = { paid: 0, earned: 0, owed: 0 };
  for (const d of days) {
    run.paid += d.v.paid; run.earned += d.v.earned; run.owed += d.v.owed;
    if (d.day < startDay) continue;
    out.push(money(d.day, 'wallets', '一卡通负债 / owed to band holders', run.paid - run.earned, run.owed,
      `日终：钱包收款净额 ${y(run.paid)} − 消费与费用 ${y(run.earned)} = ${y(run.paid - run.earned)}；余额与押金 ${y(run.owed)}`));
  }

  // Each wallet's cached balance and deposit (what the shops see) against its lines.
  const cached = await rows(db, sql`
    select w.id, w.balance_fen + w.deposit_fen as cached, max(m.at) as last,
      coalesce(-sum(l.amount_fen) filter (where l.account = 'wallet:' || w.id::text or l.account = 'deposit:' || w.id::text), 0) as lines
    from wallets w join wallet_movements m on m.wallet_id = w.id join wallet_lines l on l.movement_id = m.id
    where w.id in (select wallet_id from wallet_movements where ${within(sql`at`, r)}${site(sql`site`)})
    group by w.id, w.balance_fen, w.deposit_fen`);
  for (const w of cached) {
    if (n(w.cached) !== n(w.lines)) out.push(money(dayOf(w.last), 'wallets', `腕带钱包 ${w.id}`, n(w.lines), n(w.cached), `钱包余额与押金 ${y(n(w.cached))}，分录合计 ${y(n(w.lines))}`));
  }
  const unbalanced = await rows(db, sql`
    select m.id, m.at, sum(l.amount_fen) as s from wallet_movements m join wallet_lines l on l.movement_id = m.id
    where ${within(sql`m.at`, r)}${site(sql`m.site`)} group by m.id, m.at having sum(l.amount_fen) <> 0`);
  for (const m of unbalanced) out.push(money(dayOf(m.at), 'wallets', `分录 ${m.id}`, 0, n(m.s), '一卡通分录借贷不平 / a wallet movement does not balance'));
  return out;
}
