import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/open.ts';
import { addDays, businessDay, startOfBusinessDay } from '../../../shared/time/zone.ts';
import { Regions } from '../../origin/regions.ts';

/*
 * A month of business for report tests and the benchmark, as the ledger records it: window
 * orders (several lines, split payments, refunds), online and OTA bookings (an order paid by
 * method `channel`, some cancelled after payment), member cards and direct sales (cash), tickets with ID cards, guide visits, gate entries and over-use. Generated in JS from
 * a seeded random source, so a test can work out the expected figures from these arrays on
 * its own, and loaded in bulk (COPY on PGlite, json_populate_recordset on a server).
 */

export interface SeedOptions {
  /** First day of the month, "YYYY-MM-01". */
  month: string;
  sales: number;
  entries: number;
  timeZone: string;
  site?: string;
  seed?: number;
}

export interface TypeSeed { id: number; code: string; name: string; priceFen: number; persons: number; category: string }
export interface SaleSeed {
  id: string; typeId: number; quantity: number; unitPriceFen: number; totalFen: number; at: number; site: string;
  orderId: string | null; groupMode: string | null; persons: number; bookingId: string | null;
  /** A member card issued, renewed or reissued (an order of channel `members`). */
  memberCard: boolean;
}
/** Every sale is a line of an order (cloud/ledger): window, members, direct, or a channel's (source = its code). */
export interface OrderSeed { id: string; sellerId: string | null; accountId: string | null; at: number; totalFen: number; channel: string; source: string | null }
export interface PaymentSeed { id: string; orderId: string; userId: string | null; method: string; amountFen: number; at: number; book: string }
export interface BookingSeed {
  id: string; channelId: number; quantity: number; totalFen: number; paidAt: number; cancelledAt: number | null; idRegion: string | null; visitDay: string;
}
/** A party whose origin a window recorded (cloud/origin): from an ID number's region, or what was said. */
export interface OriginSeed { persons: number; region: string; source: 'id' | 'seller'; at: number }
export interface EntrySeed { device: string; lane: string; venue: string; direction: 'in' | 'out'; kind: string; persons: number; at: number }
export interface IdCardSeed { ticketId: string; value: string; persons: number; at: number }
export interface OverUseSeed { ticketId: string; venue: string; allowed: number; used: number; devices: string[]; at: number }
export interface GuideVisitSeed { guideId: number; persons: number; rebateFen: number; at: number }

export interface MonthData {
  options: Required<SeedOptions>;
  /** UTC instants of the month's first day start and the next month's. */
  start: number;
  end: number;
  types: TypeSeed[];
  sellers: { id: string; username: string; displayName: string }[];
  customers: { id: number; code: string; name: string; kind: string }[];
  accounts: { id: string; name: string; category: string; customerId: number | null }[];
  channels: { id: number; code: string; name: string; kind: string }[];
  guides: { id: number; name: string; customerId: number | null }[];
  sales: SaleSeed[];
  orders: OrderSeed[];
  payments: PaymentSeed[];
  bookings: BookingSeed[];
  entries: EntrySeed[];
  idCards: IdCardSeed[];
  overUse: OverUseSeed[];
  guideVisits: GuideVisitSeed[];
  origins: OriginSeed[];
}

/** mulberry32: small, fast, good enough for fixtures. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REGIONS = ['110101', '310104', '320102', '330106', '440305', '510107', '610113', '420102', '370202', '820000', '990000'];
const METHODS = ['cash', 'card', 'mobile', 'on_account', 'signed_bill', 'voucher'];
const HOUR = 3_600_000;

export function makeMonth(opts: SeedOptions): MonthData {
  const o: Required<SeedOptions> = { site: 'demo', seed: 20261001, ...opts };
  const rnd = random(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const start = startOfBusinessDay(o.month, o.timeZone);
  const next = new Date(`${o.month}T00:00:00Z`);
  next.setUTCMonth(next.getUTCMonth() + 1);
  const end = startOfBusinessDay(next.toISOString().slice(0, 10), o.timeZone);
  // Mostly inside the month, some in the days either side (must not be counted), and many
  // close to local midnight (where a UTC day and a local day disagree).
  const when = (): number => {
    const r = rnd();
    if (r < 0.02) return start - int(1, 36 * 3600) * 1000;
    if (r < 0.04) return end + int(0, 36 * 3600) * 1000;
    if (r < 0.10) {
      const day = addDays(o.month, int(0, 31));
      return startOfBusinessDay(day, o.timeZone) + int(-120, 119) * 1000;
    }
    return start + Math.floor(rnd() * (end - start));
  };

  const types: TypeSeed[] = [
    { id: 0, code: 'adult', name: '成人票', priceFen: 12000, persons: 1, category: 'visitor' },
    { id: 0, code: 'child', name: '儿童票', priceFen: 6000, persons: 1, category: 'visitor' },
    { id: 0, code: 'senior', name: '老人票', priceFen: 6000, persons: 1, category: 'visitor' },
    { id: 0, code: 'family', name: '家庭票', priceFen: 30000, persons: 3, category: 'visitor' },
    { id: 0, code: 'group10', name: '十人团队票', priceFen: 90000, persons: 10, category: 'group' },
  ];
  const sellers = [1, 2, 3, 4].map((i) => ({ id: randomUUID(), username: `seller${i}`, displayName: `售票员${i}` }));
  const customers = [
    { id: 0, code: 'AG-1', name: '青年旅行社', kind: 'agency' },
    { id: 0, code: 'AG-2', name: '"海天", 国际旅行社', kind: 'agency' },
    { id: 0, code: 'UN-1', name: '=市总工会', kind: 'unit' },
  ];
  const accounts = [
    { id: randomUUID(), name: '青年旅行社', category: 'agency', customerId: 0 as number | null },
    { id: randomUUID(), name: '"海天", 国际旅行社', category: 'agency-b', customerId: 1 as number | null },
    { id: randomUUID(), name: '=市总工会', category: 'conference', customerId: 2 as number | null },
    { id: randomUUID(), name: '散客协议', category: 'agency', customerId: null as number | null },
  ];
  const channels = [
    { id: 0, code: 'web', name: '官网', kind: 'web' },
    { id: 0, code: 'ctrip', name: '携程', kind: 'ota' },
    { id: 0, code: 'meituan', name: '美团', kind: 'ota' },
  ];
  const guides = [{ id: 0, name: '王导', customerId: 0 as number | null }, { id: 0, name: '李导', customerId: 1 as number | null }, { id: 0, name: '张师傅', customerId: null as number | null }];

  const sales: SaleSeed[] = [];
  const orders: OrderSeed[] = [];
  const payments: PaymentSeed[] = [];
  const bookings: BookingSeed[] = [];
  const idCards: IdCardSeed[] = [];
  let openOrder: OrderSeed | undefined;
  const closeOrder = () => {
    const ord = openOrder;
    if (!ord) return;
    openOrder = undefined;
    const at = ord.at + int(1, 300) * 1000;
    if (rnd() < 0.3 && ord.totalFen > 100) {
      const first = int(1, ord.totalFen - 1);
      payments.push({ id: randomUUID(), orderId: ord.id, userId: ord.sellerId, method: 'cash', amountFen: first, at, book: 'office' });
      payments.push({ id: randomUUID(), orderId: ord.id, userId: ord.sellerId, method: pick(METHODS), amountFen: ord.totalFen - first, at: at + 1000, book: 'office' });
    } else {
      payments.push({ id: randomUUID(), orderId: ord.id, userId: ord.sellerId, method: pick(METHODS), amountFen: ord.totalFen, at, book: 'office' });
    }
    if (rnd() < 0.04) {
      const refund = Math.max(1, Math.floor(ord.totalFen / int(1, 3)));
      payments.push({ id: randomUUID(), orderId: ord.id, userId: pick(sellers).id, method: 'cash', amountFen: -refund, at: at + int(60, 3 * 86_400) * 1000, book: 'office' });
    }
  };
  for (let i = 0; i < o.sales; i++) {
    const type = pick(types);
    const r = rnd();
    const kind = r < 0.6 ? 'window' : r < 0.85 ? 'booking' : 'plain';
    const oneTicket = kind === 'window' && rnd() < 0.1;
    const quantity = oneTicket ? int(5, 40) : int(1, 4);
    const unit = type.priceFen - (rnd() < 0.2 ? int(1, 20) * 100 : 0);
    const sale: SaleSeed = {
      id: randomUUID(), typeId: i, quantity, unitPriceFen: unit, totalFen: unit * quantity, at: 0, site: o.site,
      orderId: null, groupMode: kind === 'window' ? (oneTicket ? 'one' : 'each') : null, persons: quantity * type.persons, bookingId: null,
      memberCard: kind === 'plain' && rnd() < 0.2,
    };
    sale.typeId = types.indexOf(type);
    if (kind === 'window') {
      if (!openOrder || rnd() < 0.75) {
        closeOrder();
        openOrder = { id: randomUUID(), sellerId: pick(sellers).id, accountId: rnd() < 0.3 ? pick(accounts).id : null, at: when(), totalFen: 0, channel: 'window', source: null };
        orders.push(openOrder);
      }
      sale.orderId = openOrder.id;
      sale.at = openOrder.at;
      openOrder.totalFen += sale.totalFen;
      if (rnd() < 0.05) {
        const region = pick(REGIONS);
        idCards.push({ ticketId: randomUUID(), value: `${region}${String(19_000_000 + i).slice(0, 8)}${String(i % 10_000).padStart(4, '0')}`, persons: type.persons, at: sale.at + 10_000 });
      }
    } else {
      sale.at = when();
      if (kind === 'booking') {
        const b: BookingSeed = {
          id: randomUUID(), channelId: int(0, channels.length - 1), quantity, totalFen: sale.totalFen, paidAt: sale.at,
          cancelledAt: rnd() < 0.03 ? sale.at + int(60, 2 * 86_400) * 1000 : null, idRegion: rnd() < 0.7 ? pick(REGIONS) : null,
          visitDay: businessDay(sale.at + int(0, 3) * 86_400_000, o.timeZone),
        };
        bookings.push(b);
        sale.bookingId = b.id;
        // The channel collected the money: its order in the channel's settlement, paid by method
        // `channel`, and the money given back when it was cancelled.
        const code = channels[b.channelId]!.code;
        const ord: OrderSeed = { id: randomUUID(), sellerId: null, accountId: null, at: sale.at, totalFen: sale.totalFen, channel: 'channel', source: code };
        orders.push(ord);
        sale.orderId = ord.id;
        payments.push({ id: randomUUID(), orderId: ord.id, userId: null, method: 'channel', amountFen: b.totalFen, at: b.paidAt, book: 'channel' });
        if (b.cancelledAt !== null) payments.push({ id: randomUUID(), orderId: ord.id, userId: null, method: 'channel', amountFen: -b.totalFen, at: b.cancelledAt, book: 'channel' });
      } else {
        // A member card or the administrator's direct sale, paid in cash.
        const seller = pick(sellers).id;
        const ord: OrderSeed = { id: randomUUID(), sellerId: seller, accountId: null, at: sale.at, totalFen: sale.totalFen, channel: sale.memberCard ? 'members' : 'direct', source: null };
        orders.push(ord);
        sale.orderId = ord.id;
        payments.push({ id: randomUUID(), orderId: ord.id, userId: seller, method: 'cash', amountFen: sale.totalFen, at: sale.at, book: 'office' });
      }
    }
    sales.push(sale);
  }
  closeOrder();

  const gates = [
    { device: 'gate-1', lane: 'east-1', venue: 'main', direction: 'in' as const },
    { device: 'gate-2', lane: 'east-2', venue: 'main', direction: 'in' as const },
    { device: 'gate-3', lane: 'west-1', venue: 'main', direction: 'in' as const },
    { device: 'gate-4', lane: 'garden-1', venue: 'garden', direction: 'in' as const },
    { device: 'gate-5', lane: 'east-out', venue: 'main', direction: 'out' as const },
    { device: 'gate-6', lane: 'garden-out', venue: 'garden', direction: 'out' as const },
  ];
  const entries: EntrySeed[] = [];
  for (let i = 0; i < o.entries; i++) {
    const g = pick(gates);
    // Opening hours 08:00-18:00 local for most passages.
    const at = rnd() < 0.85 ? startOfBusinessDay(addDays(o.month, int(0, 30)), o.timeZone) + 8 * HOUR + Math.floor(rnd() * 10 * HOUR) : when();
    const k = rnd();
    const kind = g.direction === 'out' ? 'exit' : k < 0.9 ? 'normal' : k < 0.95 ? 'reentry' : k < 0.97 ? 'emergency' : 'return';
    entries.push({ ...g, kind, persons: rnd() < 0.05 ? int(2, 6) : 1, at });
  }
  const overUse: OverUseSeed[] = idCards.slice(0, Math.min(300, idCards.length)).map((t) => ({
    ticketId: t.ticketId, venue: pick(['main', 'garden']), allowed: 1, used: int(2, 4), devices: ['gate-1', pick(['gate-2', 'gate-3'])], at: when(),
  }));
  const guideVisits: GuideVisitSeed[] = Array.from({ length: Math.max(10, Math.floor(o.sales / 200)) }, () => {
    const persons = int(5, 40);
    return { guideId: int(0, guides.length - 1), persons, rebateFen: persons * 500, at: when() };
  });
  const origins: OriginSeed[] = Array.from({ length: Math.max(20, Math.floor(o.sales / 20)) }, () => (
    { persons: int(1, 6), region: pick(REGIONS.slice(0, -1)), source: rnd() < 0.8 ? 'id' as const : 'seller' as const, at: when() }));
  return { options: o, start, end, types, origins, sellers, customers, accounts, channels, guides, sales, orders, payments, bookings, entries, idCards, overUse, guideVisits };
}

type Value = string | number | boolean | null | Date | object;

function csvValue(v: Value): string {
  if (v === null) return '';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Bulk-loads rows: COPY from a blob on PGlite, json_populate_recordset chunks on node-postgres. */
async function load(db: Db, table: string, columns: string[], rows: Value[][]): Promise<void> {
  if (!rows.length) return;
  const client = (db as unknown as { $client: { query: (q: string, p?: unknown[], o?: object) => Promise<unknown>; waitReady?: unknown } }).$client;
  if (client.waitReady !== undefined) {
    for (let i = 0; i < rows.length; i += 100_000) {
      const text = rows.slice(i, i + 100_000).map((r) => r.map(csvValue).join(',')).join('\n');
      await client.query(`copy ${table} (${columns.join(', ')}) from '/dev/blob' with (format csv)`, [], { blob: new Blob([text]) });
    }
    return;
  }
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000).map((r) => Object.fromEntries(columns.map((c, j) => [c, r[j] instanceof Date ? (r[j] as Date).toISOString() : r[j]])));
    await db.execute(sql`insert into ${sql.raw(table)} (${sql.raw(columns.join(', '))}) select ${sql.raw(columns.join(', '))} from json_populate_recordset(null::${sql.raw(table)}, ${JSON.stringify(chunk)}::json)`);
  }
}

const d = (ms: number) => new Date(ms);

/** Writes the month into an empty database (ids of types, customers, channels and guides are filled in). */
export async function loadMonth(db: Db, m: MonthData): Promise<void> {
  const site = m.options.site;
  const one = async (q: ReturnType<typeof sql>) => Number(((await db.execute(q)) as unknown as { rows: { id: number }[] }).rows[0]!.id);
  for (const t of m.types) {
    t.id = await one(sql`insert into ticket_types (code, name, price_fen, validity_days, entries, persons, category) values (${t.code}, ${t.name}, ${t.priceFen}, 1, 1, ${t.persons}, ${t.category}) returning id`);
  }
  for (const c of m.customers) c.id = await one(sql`insert into customers (code, name, kind) values (${c.code}, ${c.name}, ${c.kind}) returning id`);
  for (const c of m.channels) {
    c.id = await one(sql`insert into channels (code, name, kind, site, key_hash, key_prefix) values (${c.code}, ${c.name}, ${c.kind}, ${site}, ${randomUUID()}, ${'k'}) returning id`);
  }
  for (const g of m.guides) {
    g.id = await one(sql`insert into guides (kind, name, phone, customer_id) values ('guide', ${g.name}, '13800000000', ${g.customerId === null ? null : m.customers[g.customerId]!.id}) returning id`);
  }
  await load(db, 'users', ['id', 'username', 'display_name', 'roles', 'password_hash'], m.sellers.map((s) => [s.id, s.username, s.displayName, ['seller'], 'scrypt$disabled']));
  await load(db, 'customer_accounts', ['id', 'name', 'category', 'customer_id'], m.accounts.map((a) => [a.id, a.name, a.category, a.customerId === null ? null : m.customers[a.customerId]!.id]));
  await load(db, 'orders', ['id', 'site', 'seller_id', 'account_id', 'channel', 'source', 'status', 'visit_day', 'total_fen', 'request', 'created_at', 'issued_at'],
    m.orders.map((o) => [o.id, site, o.sellerId, o.accountId, o.channel, o.source, 'issued', m.options.month, o.totalFen, { lines: [] }, d(o.at), d(o.at)]));
  await load(db, 'sales', ['id', 'site', 'type_id', 'quantity', 'unit_price_fen', 'total_fen', 'created_at', 'order_id', 'group_mode', 'persons'],
    m.sales.map((s) => [s.id, s.site, m.types[s.typeId]!.id, s.quantity, s.unitPriceFen, s.totalFen, d(s.at), s.orderId, s.groupMode, s.persons]));
  await load(db, 'payments', ['id', 'order_id', 'user_id', 'book', 'method', 'amount_fen', 'created_at'],
    m.payments.map((p) => [p.id, p.orderId, p.userId, p.book, p.method, p.amountFen, d(p.at)]));
  const saleOfBooking = new Map(m.sales.filter((s) => s.bookingId).map((s) => [s.bookingId!, s]));
  await load(db, 'bookings', ['id', 'order_no', 'channel_id', 'site', 'visit_day', 'state', 'contact_name', 'phone_hash', 'phone_last4', 'id_region', 'pickup_code', 'quantity', 'total_fen', 'hold_until', 'created_at', 'paid_at', 'cancelled_at'],
    m.bookings.map((b, i) => [b.id, `B${i}`, m.channels[b.channelId]!.id, site, b.visitDay, b.cancelledAt === null ? 'issued' : 'cancelled', '游客', `h${i}`, '0000', b.idRegion, `P${i}`, b.quantity, b.totalFen, d(b.paidAt), d(b.paidAt), d(b.paidAt), b.cancelledAt === null ? null : d(b.cancelledAt)]));
  await load(db, 'booking_items', ['booking_id', 'type_id', 'quantity', 'unit_price_fen', 'sale_id'],
    m.bookings.map((b) => { const s = saleOfBooking.get(b.id)!; return [b.id, m.types[s.typeId]!.id, s.quantity, s.unitPriceFen, s.id]; }));
  const window = m.sales.filter((s) => s.groupMode !== null);
  await load(db, 'tickets', ['id', 'sale_id', 'site', 'type_id', 'key_id', 'code', 'valid_from', 'valid_until', 'persons', 'entries', 'price_fen', 'issued_at'],
    m.idCards.map((c, i) => { const s = window[i % window.length]!; return [c.ticketId, s.id, site, m.types[s.typeId]!.id, 'k1', `C${i}`, d(m.start), d(m.end), c.persons, 1, s.unitPriceFen, d(c.at)]; }));
  await load(db, 'credentials', ['kind', 'value', 'ticket_id', 'site', 'bound_at'], m.idCards.map((c) => ['idcard', c.value, c.ticketId, site, d(c.at)]));
  const cards = m.sales.filter((x) => x.memberCard);
  if (cards.length) {
    const memberId = randomUUID();
    await load(db, 'members', ['id', 'name', 'phone'], [[memberId, '会员', '13900000000']]);
    const rows = cards.map((x, i) => ({ sale: x, ticket: randomUUID(), card: randomUUID(), no: `M${i}` }));
    await load(db, 'tickets', ['id', 'sale_id', 'site', 'type_id', 'key_id', 'code', 'valid_from', 'valid_until', 'persons', 'entries', 'price_fen', 'issued_at'],
      rows.map((r) => [r.ticket, r.sale.id, site, m.types[r.sale.typeId]!.id, 'k1', r.no, d(m.start), d(m.end), 1, 0, r.sale.unitPriceFen, d(r.sale.at)]));
    await load(db, 'member_cards', ['id', 'card_no', 'member_id', 'type_id', 'kind', 'state', 'valid_from', 'expires_on', 'ticket_id'],
      rows.map((r) => [r.card, r.no, memberId, m.types[r.sale.typeId]!.id, 'annual', 'active', m.options.month, '2027-12-31', r.ticket]));
    await load(db, 'member_card_events', ['id', 'card_id', 'event', 'price_fen', 'expires_after', 'ticket_id', 'sale_id', 'at'],
      rows.map((r) => [randomUUID(), r.card, 'issue', r.sale.totalFen, '2027-12-31', r.ticket, r.sale.id, d(r.sale.at)]));
  }
  await load(db, 'over_use', ['ticket_id', 'venue', 'site', 'allowed', 'used', 'devices', 'first_found_at', 'updated_at'],
    m.overUse.map((u) => [u.ticketId, u.venue, site, u.allowed, u.used, u.devices, d(u.at), d(u.at)]));
  await load(db, 'guide_ledger', ['id', 'guide_id', 'entry', 'ref', 'persons', 'rebate_fen', 'at'],
    m.guideVisits.map((v, i) => [randomUUID(), m.guides[v.guideId]!.id, 'visit', `G${i}`, v.persons, v.rebateFen, d(v.at)]));
  const regions = Regions.load();
  await load(db, 'visitor_origins', ['id', 'site', 'at', 'persons', 'source', 'province_code', 'province', 'city_code', 'city', 'ref'],
    m.origins.map((v, i) => { const r = regions.byCode(v.region)!; return [randomUUID(), site, d(v.at), v.persons, v.source, r.provinceCode, r.province, r.cityCode, r.city, `O${i}`]; }));
  await load(db, 'entries', ['nonce', 'site', 'device', 'lane', 'venue', 'direction', 'kind', 'persons', 'device_time', 'corrected_time', 'received_at'],
    m.entries.map((e) => [randomUUID(), site, e.device, e.lane, e.venue, e.direction, e.kind, e.persons, d(e.at), d(e.at), d(e.at)]));
  await db.execute(sql`analyze`);
}
