import { businessDay, startOfBusinessDay, wallClock } from '../../../shared/time/zone.ts';
import { Regions } from '../../origin/regions.ts';
import type { Row } from '../model.ts';
import type { MonthData } from './seed.ts';

/*
 * The figures each report should give for a seeded month, worked out in plain JS from the
 * seed's own arrays (days and hours from shared/time/zone.ts, not from SQL), so a test can
 * hold the report queries against them.
 */

type Acc = Record<string, number>;
const v = (a: Acc, k: string): number => a[k] ?? 0;
function add(map: Map<string, Acc>, key: string, figures: Acc, init: Record<string, string | number | null> = {}): void {
  const a = map.get(key) ?? ({ ...init } as Acc);
  for (const [k, v] of Object.entries(figures)) a[k] = (a[k] ?? 0) + v;
  map.set(key, a);
}

export function expectedReports(m: MonthData, opts: { inParkAt: number }): Record<string, Row[]> {
  const tz = m.options.timeZone;
  const inMonth = (t: number | null): t is number => t !== null && t >= m.start && t < m.end;
  const sales = m.sales.filter((s) => inMonth(s.at));
  const type = (s: { typeId: number }) => m.types[s.typeId]!;
  const orderById = new Map(m.orders.map((o) => [o.id, o]));
  const bookingById = new Map(m.bookings.map((b) => [b.id, b]));
  const payments = m.payments.filter((p) => inMonth(p.at));
  const lineFig = (s: (typeof sales)[number]) => ({ lines: 1, quantity: s.quantity, visitors: s.persons, grossFen: s.totalFen });
  const out: Record<string, Row[]> = {};

  // Sales by day, every day of the month listed.
  const days: string[] = [];
  for (let t = m.start; t < m.end; t += 86_400_000) {
    const d = businessDay(t + 12 * 3_600_000, tz);
    if (!days.includes(d) && startOfBusinessDay(d, tz) < m.end) days.push(d);
  }
  const byDay = new Map<string, Acc>(days.map((d) => [d, { lines: 0, quantity: 0, visitors: 0, grossFen: 0, refundsFen: 0 }]));
  for (const s of sales) add(byDay, businessDay(s.at, tz), lineFig(s));
  for (const p of payments) if (p.amountFen < 0) add(byDay, businessDay(p.at, tz), { refundsFen: -p.amountFen });
  out['sales-by-day'] = days.map((day) => { const a = byDay.get(day)!; return { day, lines: v(a, 'lines'), quantity: v(a, 'quantity'), visitors: v(a, 'visitors'), grossFen: v(a, 'grossFen'), refundsFen: v(a, 'refundsFen'), netFen: v(a, 'grossFen') - v(a, 'refundsFen') }; });

  const byType = new Map<string, Acc>();
  for (const s of sales) add(byType, type(s).code, lineFig(s));
  out['sales-by-type'] = [...byType].map(([code, a]) => {
    const t = m.types.find((x) => x.code === code)!;
    return { type: code, typeName: t.name, category: t.category, lines: v(a, 'lines'), quantity: v(a, 'quantity'), visitors: v(a, 'visitors'), grossFen: v(a, 'grossFen'), avgPriceFen: Math.round(v(a, 'grossFen') / v(a, 'quantity')) };
  });

  const byChannel = new Map<string, Acc>();
  for (const s of sales) {
    const key = s.bookingId ? m.channels[bookingById.get(s.bookingId)!.channelId]!.code : s.groupMode !== null ? 'window' : s.memberCard ? 'members' : 'direct';
    add(byChannel, key, lineFig(s));
  }
  out['sales-by-channel'] = [...byChannel].map(([code, a]) => {
    const ch = m.channels.find((c) => c.code === code);
    return { channel: code, channelName: ch?.name ?? ({ window: '售票窗口', members: '会员卡', direct: '直接销售' } as Record<string, string>)[code]!, kind: ch?.kind ?? code, ...a };
  });

  const bySeller = new Map<string, Acc>();
  const sellerOrders = new Map<string, Set<string>>();
  // Who sold: the seller, else the channel that did (kiosk, booking channel).
  const whoOf = (o: (typeof m.orders)[number], userId: string | null) => userId ?? `${o.channel}:${o.source ?? ''}`;
  for (const s of sales) {
    const o = orderById.get(s.orderId!)!;
    const seller = whoOf(o, o.sellerId);
    add(bySeller, seller, lineFig(s));
    sellerOrders.set(seller, (sellerOrders.get(seller) ?? new Set()).add(o.id));
  }
  for (const p of payments) add(bySeller, whoOf(orderById.get(p.orderId)!, p.userId), p.amountFen > 0 ? { collectedFen: p.amountFen } : { refundedFen: -p.amountFen });
  out['sales-by-seller'] = [...bySeller].map(([id, a]) => {
    const u = m.sellers.find((x) => x.id === id) ?? { username: id, displayName: '' };
    const collectedFen = a.collectedFen ?? 0;
    const refundedFen = a.refundedFen ?? 0;
    return { seller: u.username, sellerName: u.displayName, orders: sellerOrders.get(id)?.size ?? 0, lines: a.lines ?? 0, quantity: a.quantity ?? 0, visitors: a.visitors ?? 0, grossFen: a.grossFen ?? 0, collectedFen, refundedFen, netFen: collectedFen - refundedFen };
  });

  const byMethod = new Map<string, Acc>();
  for (const p of payments) add(byMethod, p.method, p.amountFen > 0 ? { payments: 1, chargedFen: p.amountFen } : { refunds: 1, refundedFen: -p.amountFen });
  const METHOD: Record<string, string> = { cash: '现金', card: '银行卡', mobile: '移动支付', voucher: '代金券', on_account: '挂账', signed_bill: '签单', channel: '渠道代收' };
  out['sales-by-payment'] = [...byMethod].map(([method, a]) => ({
    method, methodName: METHOD[method]!, payments: a.payments ?? 0, chargedFen: a.chargedFen ?? 0, refunds: a.refunds ?? 0, refundedFen: a.refundedFen ?? 0, netFen: (a.chargedFen ?? 0) - (a.refundedFen ?? 0),
  }));

  const isGroup = (s: (typeof sales)[number]) => s.groupMode === 'one' || type(s).category === 'group';
  const byAccount = new Map<string, Acc>();
  const accountOrders = new Map<string, Set<string>>();
  for (const s of sales) {
    const acc = orderById.get(s.orderId!)!.accountId ?? '';
    add(byAccount, acc, { ...lineFig(s), groups: isGroup(s) ? 1 : 0 });
    accountOrders.set(acc, (accountOrders.get(acc) ?? new Set()).add(s.orderId!));
  }
  for (const p of payments) {
    const acc = orderById.get(p.orderId)!.accountId ?? '';
    add(byAccount, acc, { refundedFen: p.amountFen < 0 ? -p.amountFen : 0, creditFen: ['on_account', 'signed_bill'].includes(p.method) ? p.amountFen : 0 });
  }
  out['sales-by-customer'] = [...byAccount].map(([id, a]) => {
    const acc = m.accounts.find((x) => x.id === id);
    return {
      customer: acc?.name ?? '散客', category: acc?.category ?? 'walk_in', orders: accountOrders.get(id)?.size ?? 0,
      lines: a.lines ?? 0, quantity: a.quantity ?? 0, visitors: a.visitors ?? 0, grossFen: a.grossFen ?? 0, refundedFen: a.refundedFen ?? 0, creditFen: a.creditFen ?? 0,
    };
  });

  const groupDays = new Map<string, Acc>(days.map((d) => [d, { groups: 0, visitors: 0, grossFen: 0 }]));
  for (const s of sales) if (isGroup(s)) add(groupDays, businessDay(s.at, tz), { groups: 1, visitors: s.persons, grossFen: s.totalFen });
  out.groups = days.map((day) => { const a = groupDays.get(day)!; return { day, groups: v(a, 'groups'), visitors: v(a, 'visitors'), grossFen: v(a, 'grossFen'), avgSize: a.groups ? Math.round((v(a, 'visitors') / a.groups) * 10) / 10 : 0 }; });

  const agencies: Row[] = [];
  for (const acc of m.accounts) {
    const cust = acc.customerId === null ? undefined : m.customers[acc.customerId];
    if (acc.category !== 'agency' && cust?.kind !== 'agency') continue;
    const a = byAccount.get(acc.id);
    if (!a) continue;
    agencies.push({ kind: 'agency', agency: cust?.name ?? acc.name, orders: accountOrders.get(acc.id)?.size ?? 0, groups: a.groups ?? 0, quantity: a.quantity ?? 0, visitors: a.visitors ?? 0, grossFen: a.grossFen ?? 0, refundedFen: a.refundedFen ?? 0, creditFen: a.creditFen ?? 0 });
  }
  const ota = new Map<string, Acc>();
  for (const b of m.bookings) {
    const ch = m.channels[b.channelId]!;
    if (ch.kind !== 'ota') continue;
    if (inMonth(b.paidAt)) add(ota, ch.name, { orders: 1, quantity: b.quantity, grossFen: b.totalFen });
    if (inMonth(b.cancelledAt)) add(ota, ch.name, { refundedFen: b.totalFen });
  }
  for (const [name, a] of ota) agencies.push({ kind: 'ota', agency: name, orders: a.orders ?? 0, groups: 0, quantity: a.quantity ?? 0, visitors: a.quantity ?? 0, grossFen: a.grossFen ?? 0, refundedFen: a.refundedFen ?? 0, creditFen: 0 });
  out.agencies = agencies;

  const byGuide = new Map<string, Acc>();
  for (const v of m.guideVisits) if (inMonth(v.at)) add(byGuide, String(v.guideId), { groups: 1, visitors: v.persons, rebateFen: v.rebateFen });
  out.guides = [...byGuide].map(([i, a]) => {
    const g = m.guides[Number(i)]!;
    return { guide: g.name, kind: 'guide', agency: g.customerId === null ? '' : m.customers[g.customerId]!.name, groups: a.groups!, visitors: a.visitors!, rebateFen: a.rebateFen! };
  });

  // Origin as cloud/origin counts it: recorded parties by time, paid bookings with an ID
  // number by visit day (names from the GB/T 2260 tables; the counting is done here).
  const regions = Regions.load();
  const firstDay = days[0]!;
  const lastDay = days[days.length - 1]!;
  const byCity = new Map<string, Acc>();
  let unknown = 0;
  const party = (code: string, persons: number) => {
    const r = regions.byCode(code);
    if (!r) { unknown += persons; return; }
    add(byCity, `${r.provinceCode}|${r.province}|${r.cityCode ?? ''}|${r.city ?? '未知城市'}`, { visitors: persons });
  };
  for (const o of m.origins) if (inMonth(o.at)) party(o.region, o.persons);
  for (const b of m.bookings) if (b.idRegion && b.cancelledAt === null && b.visitDay >= firstDay && b.visitDay <= lastDay) party(b.idRegion, b.quantity);
  const everyone = [...byCity.values()].reduce((n, a) => n + v(a, 'visitors'), 0) + unknown;
  const share = (n: number) => Math.round((n / everyone) * 1000) / 10;
  out.origin = [...byCity].map(([k, a]) => {
    const [provinceCode, province, cityCode, city] = k.split('|');
    return { provinceCode: provinceCode!, province: province!, cityCode: cityCode!, city: city!, visitors: v(a, 'visitors'), sharePct: share(v(a, 'visitors')) };
  });
  if (unknown) out.origin.push({ provinceCode: '', province: '未知', cityCode: '', city: '', visitors: unknown, sharePct: share(unknown) });

  const signed = (e: MonthData['entries'][number]) => (e.kind === 'return' ? -e.persons : e.persons);
  const flow = (e: MonthData['entries'][number]) => ({
    passages: e.kind === 'return' ? 0 : 1, personsIn: e.direction === 'in' ? signed(e) : 0, personsOut: e.direction === 'out' ? signed(e) : 0, emergency: e.kind === 'emergency' ? e.persons : 0,
  });
  const entries = m.entries.filter((e) => inMonth(e.at));
  const byGate = new Map<string, Acc>();
  const byLane = new Map<string, Acc>();
  const byHour = new Map<string, Acc>();
  for (const e of entries) {
    add(byGate, e.device, flow(e));
    add(byLane, `${e.venue}|${e.lane}|${e.device}`, flow(e));
    add(byHour, `${businessDay(e.at, tz)}|${wallClock(e.at, tz).hour}`, flow(e));
  }
  const site = m.options.site;
  out['entries-by-gate'] = [...byGate].map(([device, a]) => ({ site, device, ...a }));
  out['entries-by-lane'] = [...byLane].map(([k, a]) => { const [venue, lane, device] = k.split('|'); return { site, venue: venue!, lane: lane!, device: device!, ...a }; });
  out['entries-by-hour'] = [...byHour].map(([k, a]) => { const [day, hour] = k.split('|'); return { day: day!, hour: Number(hour), ...a }; });

  const dayStart = startOfBusinessDay(businessDay(opts.inParkAt, tz), tz);
  const byVenue = new Map<string, Acc & { last?: number }>();
  for (const e of m.entries) {
    if (e.at < dayStart || e.at > opts.inParkAt) continue;
    add(byVenue, e.venue, flow(e));
    const v = byVenue.get(e.venue)!;
    v.last = Math.max(v.last ?? 0, e.at);
  }
  out['in-park'] = [...byVenue].map(([venue, a]) => ({ venue, personsIn: a.personsIn!, personsOut: a.personsOut!, inPark: Math.max(0, a.personsIn! - a.personsOut!), lastPassage: new Date(a.last!).toISOString() }));

  out['over-use'] = m.overUse.filter((u) => inMonth(u.at)).map((u) => {
    const i = m.idCards.findIndex((c) => c.ticketId === u.ticketId);
    const windowSales = m.sales.filter((s) => s.groupMode !== null);
    return {
      foundAt: new Date(u.at).toISOString(), ticketId: u.ticketId, type: type(windowSales[i % windowSales.length]!).code, venue: u.venue,
      allowed: u.allowed, used: u.used, excess: u.used - u.allowed, devices: u.devices.join(' '),
    };
  });
  return out;
}

/** Rows in a stable order, for comparing two lists regardless of the order a report gives. */
export function sorted(rows: Row[]): Row[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b))) as Row)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
