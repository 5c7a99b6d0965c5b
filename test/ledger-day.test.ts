import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sql } from 'drizzle-orm';
import { api, freshPostgres, login, startTestCloud } from './support/cloud.ts';
import { today } from './support/channel.ts';
import { addDays } from '../shared/time/zone.ts';
import { testDeviceHeader } from './support/devices.ts';
import { must, seedOffice } from './support/office.ts';
import { provision } from './support/provision.ts';

type TestCloud = Awaited<ReturnType<typeof startTestCloud>>;

/**
 * The test's own book, kept apart from HQ: every fen the day moves, as the people at the
 * windows, the kiosk, the channels and finance would tally it on paper. HQ's figures must
 * come out the same.
 */
class Tally {
  sold = 0;
  discounts = 0;
  refunded = 0;
  /** What wristband holders are owed: deposits and balances not yet refunded. */
  walletOwed = 0;
  /** Net per book and method: "shift:<who>/cash", "office/cash", "channel/channel". */
  net = new Map<string, number>();
  take(where: string, method: string, fen: number) {
    const k = `${where}/${method}`;
    this.net.set(k, (this.net.get(k) ?? 0) + fen);
  }
  /** Money held for customers (wallets, account deposits): in the books, not in the sales reports. */
  held = new Map<string, number>();
  hold(where: string, method: string, fen: number) {
    this.take(where, method, fen);
    this.held.set(method, (this.held.get(method) ?? 0) + fen);
  }
  /** Sales money per method. */
  byMethod() {
    const out = new Map<string, number>();
    for (const [k, v] of this.net) out.set(k.split('/').pop()!, (out.get(k.split('/').pop()!) ?? 0) + v);
    for (const [m, v] of this.held) out.set(m, out.get(m)! - v);
    return out;
  }
}

async function channel(u: string, code: string, kind: 'web' | 'ota') {
  const made = must(await api(u, '/api/v1/channels/admin', { body: { code, name: code === 'web' ? '官网' : '携程', kind, cancelCutoffMinutes: 0 } }), 201);
  must(await api(u, `/api/v1/channels/admin/${code}/prices`, { method: 'PUT', body: { prices: [{ type: 'adult', priceFen: 10000 }, { type: 'child', priceFen: 5000 }] } }), 200);
  let n = 0;
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${u}/api/v1/channels${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': made.apiKey, 'Idempotency-Key': `${code}-${++n}` }, body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  return {
    async bookAndPay(items: { type: string; quantity: number }[], visitDay = today()) {
      const b = must(await call('/bookings', { visitDay, items, contact: { name: '游客', phone: '13912345678' } }), 201);
      return must(await call(`/bookings/${b.orderNo}/pay`, { amountFen: b.totalFen, paymentRef: `PAY-${b.orderNo}` }), 200);
    },
    async cancel(orderNo: string) {
      return must(await call(`/bookings/${orderNo}/cancel`, { reason: '行程取消' }), 200);
    },
  };
}

/**
 * A day in the life across every channel: two window sellers, one kiosk, an OTA channel, the
 * web shop, member card issue and renewal, a finance refund, a multi-method refund, a voucher,
 * an account payment, the administrator's direct sale. Every invariant of the reconciliation
 * report holds to the fen, and the sales and payment reports agree with the test's own tally.
 */
async function dayAcrossChannels(cloud: TestCloud) {
  const u = cloud.url;
  const day = today();
  const t = new Tally();
  const { sellers, finance } = await seedOffice(u);
  const [s1, s2] = sellers as [typeof sellers[0], typeof sellers[0]];
  must(await api(u, `/api/v1/users/${s2.id}`, { method: 'PATCH', body: { permissions: ['refund'] } }), 200);
  must(await api(u, '/api/v1/ticket-types', { body: { code: 'annual', name: '年卡', priceFen: 30000, validityDays: 365, entries: 0, persons: 1, rules: { kind: 'member', faceRequired: false } } }), 201);
  const acct = must(await api(u, '/api/v1/customer-accounts', { body: { name: '合作旅行社', category: 'agency', creditLimitFen: 100000 } }), 201);
  // The agency's deposit is money in like any other: cash into the administrator's (office) book.
  must(await api(u, `/api/v1/customer-accounts/${acct.id}/entries`, { body: { ledger: 'deposit', amount: 50000, note: '预存' } }), 201);
  t.hold('office', 'cash', 50000);
  must(await api(u, '/api/v1/vouchers', { body: { code: 'DAY-V1', valueFen: 3000 } }), 201);
  await provision(u, 'demo', [{ device: 'kiosk-1', role: 'kiosk' }, { device: 'pos-1', role: 'pos' }]);
  must(await api(u, '/api/v1/shops/snack', { method: 'PUT', body: { name: '小吃', site: 'demo' } }), 200);
  const sh1 = must(await api(u, '/api/v1/shifts', { token: s1.token, body: { floatFen: 50000 } }), 201).id;
  const sh2 = must(await api(u, '/api/v1/shifts', { token: s2.token, body: { floatFen: 20000 } }), 201).id;

  // Window 1: cash; then voucher + deposit (account) + cash, with a discount.
  const o1 = must(await api(u, '/api/v1/orders', { token: s1.token, body: { lines: [{ type: 'adult', quantity: 2 }], payments: [{ method: 'cash', amountFen: 24000, tenderedFen: 25000 }] } }), 201);
  t.sold += 24000; t.take('shift:seller1', 'cash', 24000);
  const o2 = must(await api(u, '/api/v1/orders', {
    token: s1.token,
    body: { account: acct.id, lines: [{ type: 'adult', quantity: 1 }, { type: 'child', quantity: 2, discount: 'half' }], payments: [{ method: 'voucher', amountFen: 3000, code: 'DAY-V1' }, { method: 'deposit', amountFen: 10000 }, { method: 'cash', amountFen: 5000, tenderedFen: 5000 }] },
  }), 201);
  assert.is(o2.totalFen, 18000);
  t.sold += 18000; t.discounts += 6000;
  t.take('shift:seller1', 'voucher', 3000); t.take('shift:seller1', 'deposit', 10000); t.take('shift:seller1', 'cash', 5000);
  // Window 2: card and cash on one order; an order on account.
  const o3 = must(await api(u, '/api/v1/orders', { token: s2.token, body: { lines: [{ type: 'adult', quantity: 3 }], payments: [{ method: 'card', amountFen: 20000, reference: 'POS-1' }, { method: 'cash', amountFen: 16000, tenderedFen: 20000 }] } }), 201);
  t.sold += 36000; t.take('shift:seller2', 'card', 20000); t.take('shift:seller2', 'cash', 16000);
  must(await api(u, '/api/v1/orders', { token: s2.token, body: { account: acct.id, lines: [{ type: 'child', quantity: 1 }], payments: [{ method: 'on_account', amountFen: 6000 }] } }), 201);
  t.sold += 6000; t.take('shift:seller2', 'on_account', 6000);

  // A wristband (water park): issued at window 1 with a deposit and a balance in cash, topped
  // up at window 2 by card, charged at a shop's POS, settled at the exit by finance.
  let n = 0;
  const key = () => ({ 'Idempotency-Key': `day-band-${++n}` });
  const band = must(await api(u, '/api/v1/wallets', { token: s1.token, body: { bandUid: '0A0B0C0D', depositFen: 3000, topUpFen: 5000, method: 'cash' }, headers: key() }), 201);
  t.hold('shift:seller1', 'cash', 8000); t.walletOwed += 8000;
  must(await api(u, `/api/v1/wallets/${band.id}/top-ups`, { token: s2.token, body: { amountFen: 2000, method: 'card' }, headers: key() }), 201);
  t.hold('shift:seller2', 'card', 2000); t.walletOwed += 2000;
  const charged = must(await api(u, '/api/v1/sync/pos/charges?site=demo', {
    token: null, headers: testDeviceHeader('demo', 'pos-1', 'pos'),
    body: { device: 'pos-1', charges: [{ chargeId: '0196f0a0-0000-7000-8000-00000000c0de', walletId: band.id, bandUid: '0A0B0C0D', shop: 'snack', amountFen: 4500, items: [], at: Date.now(), offline: false }] },
  }), 200);
  assert.is(charged.results[0].result, 'recorded');
  t.walletOwed -= 4500;

  // The kiosk: a mobile payment in its own shift of the day.
  const kiosk = await fetch(`${u}/api/v1/sync/kiosk/sales`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...testDeviceHeader('demo', 'kiosk-1', 'kiosk') },
    body: JSON.stringify({ attemptId: 'day-attempt-1', items: [{ type: 'adult', quantity: 1 }, { type: 'child', quantity: 1 }], amountFen: 18000, authCode: '134567890123456780' }),
  });
  assert.is(kiosk.status, 200, await kiosk.clone().text());
  t.sold += 18000; t.take('shift:kiosk-1', 'mobile', 18000);

  // An OTA channel and the web shop: paid at the channel; one web booking cancelled after payment.
  const ota = await channel(u, 'ctrip', 'ota');
  await ota.bookAndPay([{ type: 'adult', quantity: 2 }]);
  t.sold += 20000; t.take('channel', 'channel', 20000);
  const web = await channel(u, 'web', 'web');
  await web.bookAndPay([{ type: 'child', quantity: 2 }]);
  // Cancelled before its visit day (tomorrow): the money goes back through the channel.
  const gone = await web.bookAndPay([{ type: 'adult', quantity: 1 }], addDays(day, 1));
  t.sold += 10000 + 10000; t.take('channel', 'channel', 20000);
  await web.cancel(gone.orderNo);
  t.refunded += 10000; t.take('channel', 'channel', -10000);

  // Member cards: issued at window 1 in cash, renewed at window 2 by card.
  const card = must(await api(u, '/api/v1/members/cards', { token: s1.token, body: { member: { name: '赵六', phone: '13700001234' }, type: 'annual', kind: 'annual', cardNo: 'DAY-CARD-1' } }), 201);
  t.sold += 30000; t.take('shift:seller1', 'cash', 30000);
  must(await api(u, '/api/v1/members/cards/DAY-CARD-1/renew', { token: s2.token, body: { expiresOn: card.expiresOn, payment: { method: 'card', reference: 'POS-2' } } }), 200);
  t.sold += 30000; t.take('shift:seller2', 'card', 30000);

  // The administrator's direct sale, in the office's cash book.
  must(await api(u, '/api/v1/sales', { body: { type: 'vip', quantity: 1 } }), 201);
  t.sold += 50000; t.take('office', 'cash', 50000);

  // Finance refunds a ticket sold at window 1, from the office's cash book.
  const ticket1 = o1.lines[0].tickets[0];
  must(await api(u, `/api/v1/orders/${o1.id}/refunds`, { token: finance.token, body: { tickets: [ticket1.id], method: 'cash', reason: '游客退票' } }), 201);
  t.refunded += 12000; t.take('office', 'cash', -12000);
  // Window 2 refunds its whole card-and-cash order in one call: newest payment first (cash), then card.
  const multi = must(await api(u, `/api/v1/orders/${o3.id}/refunds`, { token: s2.token, body: { tickets: o3.lines[0].tickets.map((x: { id: string }) => x.id), reason: '整单退票' } }), 201);
  assert.equal(multi.parts, [{ method: 'cash', amountFen: 16000 }, { method: 'card', amountFen: 20000 }]);
  t.refunded += 36000; t.take('shift:seller2', 'cash', -16000); t.take('shift:seller2', 'card', -20000);
  // Explicit amounts per method in one call; never more than was paid by a method.
  const over = await api(u, `/api/v1/orders/${o2.id}/refunds`, { token: s2.token, body: { amountFen: 6000, split: [{ method: 'voucher', amountFen: 1000 }, { method: 'cash', amountFen: 5000 }], reason: '部分退款' } });
  assert.is(over.status, 201, JSON.stringify(over.body));
  t.refunded += 6000; t.take('shift:seller2', 'voucher', -1000); t.take('shift:seller2', 'cash', -5000);
  const tooMuch = await api(u, `/api/v1/orders/${o2.id}/refunds`, { token: s2.token, body: { amountFen: 1000, method: 'cash', reason: '再退一次' } });
  assert.equal([tooMuch.status, tooMuch.body.error.code], [409, 'refund_exceeds_method']);

  // The band settles at the exit with finance (office book): the card money goes back by card,
  // the rest of the balance and the deposit in cash.
  const settled = must(await api(u, `/api/v1/wallets/${band.id}/settle`, { token: finance.token, body: { refundTo: 'original' }, headers: key() }), 200);
  assert.equal(settled.refund, [{ method: 'card', amountFen: 2000 }, { method: 'cash', amountFen: 3500 }]);
  t.hold('office', 'card', -2000); t.hold('office', 'cash', -3500); t.walletOwed -= 5500;
  assert.is(t.walletOwed, 0);

  // Both windows hand over, counting what the tally says is in the drawer.
  const cashOf = (who: string, float: number) => (t.net.get(`shift:${who}/cash`) ?? 0) + float;
  must(await api(u, `/api/v1/shifts/${sh1}/close`, { token: s1.token, body: { counted: { cash: cashOf('seller1', 50000) } } }), 200);
  const closed2 = must(await api(u, `/api/v1/shifts/${sh2}/close`, { token: s2.token, body: { counted: { cash: cashOf('seller2', 20000) } } }), 200);
  assert.is(closed2.report.payments.find((p: { method: string }) => p.method === 'cash').differenceFen, 0);
  // Seller 1's slip names the two refunds of its sales made elsewhere (finance 120.00, window 2 60.00).
  const print1 = await fetch(`${u}/api/v1/shifts/${sh1}/print`, { headers: { authorization: `Bearer ${await login(u, 'seller1', 'seller1-password')}` } });
  const slip = await print1.text();
  assert.match(slip, /本班售出、由财务或他人退款 2 笔 180\.00/, slip);

  // The reconciliation report: every comparison balances, the day's overview says so.
  const rec = must(await api(u, `/api/v1/reports/reconciliation?from=${day}&to=${day}`), 200);
  const bad = rec.rows.filter((r: any) => Number(r.differenceFen ?? 0) !== 0 || Number(r.differenceCount ?? 0) !== 0);
  assert.equal(bad, [], 'no differences');
  assert.equal([rec.rows[0].check, rec.rows[0].subject], ['day', '平']);
  for (const check of ['sales', 'books', 'refunds', 'shift', 'accounts', 'wallets', 'tickets']) assert.ok(rec.rows.some((r: any) => r.check === check), `${check} is checked`);

  // The reports against the test's own sums.
  const byDay = must(await api(u, `/api/v1/reports/sales-by-day?from=${day}&to=${day}`), 200).rows[0];
  assert.equal({ gross: byDay.grossFen, refunds: byDay.refundsFen }, { gross: t.sold, refunds: t.refunded });
  const byPayment = must(await api(u, `/api/v1/reports/sales-by-payment?from=${day}&to=${day}`), 200).rows as { method: string; chargedFen: number; refundedFen: number; netFen: number }[];
  assert.is(byPayment.reduce((s, r) => s + r.chargedFen, 0), t.sold, 'every sale has its payment');
  assert.is(byPayment.reduce((s, r) => s + r.refundedFen, 0), t.refunded);
  for (const [method, net] of t.byMethod()) assert.is(byPayment.find((r) => r.method === method)?.netFen ?? 0, net, `${method} net`);
  const byChannel = must(await api(u, `/api/v1/reports/sales-by-channel?from=${day}&to=${day}`), 200).rows as { channel: string; grossFen: number }[];
  assert.is(byChannel.reduce((s, r) => s + r.grossFen, 0), t.sold);
  assert.equal(byChannel.map((r) => r.channel).sort(), ['ctrip', 'direct', 'kiosk', 'members', 'web', 'window']);

  // Straight from the tables: every payment is in a book, and each book's net is the tally's.
  const db = cloud.ctx!.db;
  const q = async (s: ReturnType<typeof sql>) => ((await db.execute(s)) as any).rows as Record<string, unknown>[];
  const books = await q(sql`select p.book, coalesce(u.username, sh.device, p.book) as who, p.method, sum(p.amount_fen)::bigint as net
    from payments p left join shifts sh on sh.id = p.shift_id left join users u on u.id = sh.seller_id group by 1, 2, 3`);
  const got = new Map(books.map((b) => [`${b.book === 'shift' ? `shift:${b.who}` : b.book}/${b.method}`, Number(b.net)]));
  assert.equal(Object.fromEntries([...got].filter(([, v]) => v !== 0).sort()), Object.fromEntries([...t.net].filter(([, v]) => v !== 0).sort()));
  // The wallet's money: its journal's desk lines are the books' wallet payments, and what band
  // holders are owed (minus the wallet, deposit and locker lines) is the tally's.
  const owedNow = await q(sql`select coalesce(-sum(amount_fen), 0)::bigint as owed from wallet_lines where account like 'wallet:%' or account like 'deposit:%' or account like 'locker:%'`);
  assert.is(Number(owedNow[0]!.owed), t.walletOwed);
  const liab = rec.rows.find((r: any) => r.check === 'wallets' && r.subject.startsWith('一卡通负债'));
  assert.equal([liab.expectedFen, liab.actualFen], [t.walletOwed, t.walletOwed]);
  const walletBooks = await q(sql`select p.book, p.method, sum(p.amount_fen)::bigint as net from payments p join orders o on o.id = p.order_id where o.channel = 'wallet' group by 1, 2 order by 1, 2`);
  assert.equal(walletBooks.map((b) => [b.book, b.method, Number(b.net)]), [['office', 'card', -2000], ['office', 'cash', -3500], ['shift', 'card', 2000], ['shift', 'cash', 8000]]);
  const deposit = await q(sql`select sum(amount)::bigint as balance from account_entries where account_id = ${acct.id} and ledger = 'deposit'`);
  assert.is(Number(deposit[0]!.balance), 50000 - 10000);

  // A wallet line edited by hand is a difference too.
  await db.execute(sql`update wallet_lines set amount_fen = amount_fen - 100 where account = ${'wallet:' + band.id} and movement_id like 'topup:%'`);
  const walletRec = must(await api(u, `/api/v1/reports/reconciliation?from=${day}&to=${day}`), 200);
  assert.ok(walletRec.rows.some((r: any) => r.check === 'wallets' && r.differenceFen !== 0), 'the edited wallet line is a difference');
  await db.execute(sql`update wallet_lines set amount_fen = amount_fen + 100 where account = ${'wallet:' + band.id} and movement_id like 'topup:%'`);

  // A sale line edited by hand is a difference on its day, in red for finance.
  await db.execute(sql`update sales set total_fen = 1 where id = (select id from sales where order_id = ${o1.id} limit 1)`);
  const after = must(await api(u, `/api/v1/reports/reconciliation?from=${day}&to=${day}`), 200);
  assert.is(after.rows[0].check, 'day');
  assert.ok(after.rows[0].differenceCount > 0, JSON.stringify(after.rows[0]));
  assert.ok(after.rows.some((r: any) => r.check === 'sales' && r.differenceFen !== 0));
}

test('PGlite: a day across every channel balances to the fen', async () => {
  const cloud = await startTestCloud();
  try {
    await dayAcrossChannels(cloud);
  } finally {
    await cloud.cleanup();
  }
});

const pgAvailable = Boolean(process.env.TEST_DATABASE_URL);
(pgAvailable || process.env.CI ? test : test.skip)('Postgres server: the same day balances', async () => {
  const pg = await freshPostgres();
  assert.ok(pg, 'TEST_DATABASE_URL must name a Postgres server in CI');
  const cloud = await startTestCloud({ databaseUrl: pg.url });
  try {
    await dayAcrossChannels(cloud);
  } finally {
    await cloud.cleanup();
    await pg.drop();
  }
});

test.run();
