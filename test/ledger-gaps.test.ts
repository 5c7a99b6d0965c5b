import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sql } from 'drizzle-orm';
import { recordOwed } from '../cloud/kiosk/routes.ts';
import { api, login, startTestCloud } from './support/cloud.ts';
import { today } from './support/channel.ts';
import { testDeviceHeader } from './support/devices.ts';
import { must, seedOffice } from './support/office.ts';
import { provision } from './support/provision.ts';

/*
 * Money that used to fall outside the books: a kiosk sale paid and never issued, a customer
 * account's deposit, and payments and refunds from before books existed. Each is in a book, and
 * the reconciliation names what is still owed.
 */

type TestCloud = Awaited<ReturnType<typeof startTestCloud>>;
let cloud: TestCloud;
const day = today();

test.before(async () => {
  cloud = await startTestCloud();
});
test.after(async () => {
  await cloud.cleanup();
});

const q = async (s: ReturnType<typeof sql>) => ((await cloud.ctx!.db.execute(s)) as any).rows as Record<string, any>[];
const reconcile = async () => must(await api(cloud.url, `/api/v1/reports/reconciliation?from=${day}&to=${day}`), 200).rows as any[];
const differences = (rows: any[]) => rows.filter((r) => r.check !== 'day' && (Number(r.differenceFen ?? 0) !== 0 || Number(r.differenceCount ?? 0) !== 0));

test('a kiosk sale paid and not issued is owed until refunded or issued', async () => {
  const u = cloud.url;
  const { finance } = await seedOffice(u);
  await provision(u, 'demo', [{ device: 'kiosk-1', role: 'kiosk' }]);
  const kiosk = { site: 'demo', device: 'kiosk-1', role: 'kiosk' as const };
  const owe = async (attemptId: string) => {
    const req = { attemptId, items: [{ type: 'adult', quantity: 1 }], amountFen: 12000, authCode: '134567890123456780' };
    await recordOwed(cloud.ctx!, kiosk, `kiosk:demo:kiosk-1:${attemptId}`, req, 12000, `sim-${attemptId}`, 'sold_out');
    return req;
  };
  const req = await owe('owed-attempt-1');
  // The kiosk asks again with the same attempt: charged once, still not issued, said so again.
  const again = await fetch(`${u}/api/v1/sync/kiosk/sales`, { method: 'POST', headers: { 'content-type': 'application/json', ...testDeviceHeader('demo', 'kiosk-1', 'kiosk') }, body: JSON.stringify(req) });
  assert.is(again.status, 409);
  assert.is(((await again.json()) as any).error.code, 'paid_not_issued');
  assert.is((await q(sql`select count(*)::int as n from orders where channel = 'kiosk'`))[0]!.n, 1, 'one order for the attempt');

  // The money is in the kiosk's shift of the day, and named as owed.
  const [p] = await q(sql`select p.book, p.method, p.amount_fen, sh.device from payments p join shifts sh on sh.id = p.shift_id`);
  assert.equal([p!.book, p!.method, Number(p!.amount_fen), p!.device], ['shift', 'mobile', 12000, 'kiosk-1']);
  let rows = await reconcile();
  assert.equal(differences(rows).map((r) => [r.check, r.differenceFen]), [['owed', 12000]]);
  assert.is(rows[0].differenceCount, 1, 'the day is red');
  const owed = must(await api(u, '/api/v1/kiosk-sales/owed'), 200).items;
  assert.equal(owed.map((o: any) => [o.kiosk, o.heldFen, o.status]), [['kiosk-1', 12000, 'owed']]);

  // Finance refunds it from the office's cash book, by the method it was paid: the day balances.
  const back = must(await api(u, `/api/v1/kiosk-sales/${owed[0].id}/refund`, { token: finance.token, body: {} }), 201);
  assert.equal([back.heldFen, back.status], [0, 'cancelled']);
  const [r] = await q(sql`select book, amount_fen from refunds`);
  assert.equal([r!.book, Number(r!.amount_fen)], ['office', 12000]);
  assert.equal(differences(await reconcile()), []);
  assert.is((await api(u, `/api/v1/kiosk-sales/${owed[0].id}/refund`, { token: finance.token, body: {} })).body.error.code, 'order_not_owed');

  // Another one is issued after all: its tickets are made, and it is a sale like any other.
  await owe('owed-attempt-2');
  const second = must(await api(u, '/api/v1/kiosk-sales/owed'), 200).items[0];
  const issued = must(await api(u, `/api/v1/kiosk-sales/${second.id}/issue`, { token: finance.token, body: {} }), 201);
  assert.equal([issued.status, issued.tickets.length], ['issued', 1]);
  rows = await reconcile();
  assert.equal(differences(rows), []);
  assert.ok(rows.some((x) => x.check === 'sales' && x.subject.startsWith('kiosk') && x.actualFen === 12000), JSON.stringify(rows));
  const byChannel = must(await api(u, `/api/v1/reports/sales-by-channel?from=${day}&to=${day}`), 200).rows;
  assert.is(byChannel.find((x: any) => x.channel === 'kiosk').grossFen, 12000);
});

test('a customer account\'s deposit is money in a book; a deposit paid back is a refund', async () => {
  const u = cloud.url;
  const token = await login(u, 'finance', 'finance-password');
  const acct = must(await api(u, '/api/v1/customer-accounts', { body: { name: '合作旅行社', category: 'agency', creditLimitFen: 50000 } }), 201);
  const entry = (body: unknown) => api(u, `/api/v1/customer-accounts/${acct.id}/entries`, { token, body });
  must(await entry({ ledger: 'deposit', amount: 20000, note: '预存', method: 'card', reference: 'POS-9' }), 201);
  must(await entry({ ledger: 'deposit', amount: -5000, note: '退还部分预存' }), 201);
  must(await entry({ ledger: 'credit', amount: 8000, note: '挂账调整' }), 201); // no money moves
  must(await entry({ ledger: 'credit', amount: -8000, note: '月结还款', method: 'mobile' }), 201);
  must(await entry({ ledger: 'points', amount: 300, note: '积分' }), 201); // no money moves
  assert.is((await entry({ ledger: 'deposit', amount: -30000, note: '多退' })).body.error.code, 'insufficient_balance');

  const money = await q(sql`select p.book, p.method, p.amount_fen, p.refund_id is not null as refund from payments p join orders o on o.id = p.order_id
    where o.channel = 'account' order by p.created_at, p.amount_fen`);
  assert.equal(money.map((m) => [m.book, m.method, Number(m.amount_fen), m.refund]), [['office', 'card', 20000, false], ['office', 'cash', -5000, true], ['office', 'mobile', 8000, false]]);
  const rows = await reconcile();
  assert.equal(differences(rows), []);
  const topups = rows.find((x) => x.check === 'accounts' && x.subject.startsWith('充值'));
  assert.equal([topups.expectedFen, topups.actualFen], [23000, 23000]);
  // Not sales: the sales reports leave held money out.
  const byPayment = must(await api(u, `/api/v1/reports/sales-by-payment?from=${day}&to=${day}`), 200).rows;
  assert.not.ok(byPayment.some((x: any) => x.method === 'card'), JSON.stringify(byPayment));
  // An entry edited by hand (triggers off) is a difference; put back, the day balances again.
  const edit = async (by: number) => {
    await cloud.ctx!.db.execute(sql`alter table account_entries disable trigger audit_row`);
    await cloud.ctx!.db.execute(sql`update account_entries set amount = amount + ${by} where account_id = ${acct.id} and ledger = 'deposit' and amount in (20000, 20001)`);
    await cloud.ctx!.db.execute(sql`alter table account_entries enable trigger audit_row`);
  };
  await edit(1);
  assert.ok(differences(await reconcile()).some((x) => x.check === 'accounts'));
  await edit(-1);
  assert.equal(differences(await reconcile()), []);
});

test('payments and refunds from before books are put in a book by the migration, and the audit still verifies', async () => {
  const u = cloud.url;
  const db = cloud.ctx!.db;
  const sale = must(await api(u, '/api/v1/sales', { body: { type: 'vip', quantity: 1 } }), 201);
  assert.ok(sale.orderId);
  // Rows as an older HQ wrote them: no book (written with the triggers off, as by that version).
  await db.execute(sql`alter table payments alter column book drop not null`);
  await db.execute(sql`alter table refunds alter column book drop not null`);
  await db.execute(sql`alter table payments disable trigger audit_row`);
  await db.execute(sql`alter table refunds disable trigger audit_row`);
  await db.execute(sql`update payments set book = null`);
  await db.execute(sql`update refunds set book = null`);
  await db.execute(sql`alter table payments enable trigger audit_row`);
  await db.execute(sql`alter table refunds enable trigger audit_row`);
  assert.ok(differences(await reconcile()).some((x) => x.check === 'orphans'), 'no book: outside the books');
  assert.not.ok(must(await api(u, '/api/v1/audit/verify'), 200).ok);

  const migration = readFileSync(new URL('../cloud/db/migrations/0026_backfill_books.sql', import.meta.url), 'utf8');
  await db.transaction(async (tx) => {
    for (const stmt of migration.split('--> statement-breakpoint')) await tx.execute(sql.raw(stmt));
  });
  await db.execute(sql`alter table payments alter column book set not null`);
  await db.execute(sql`alter table refunds alter column book set not null`);

  const books = await q(sql`select coalesce(sh.device, case when sh.id is not null then 'window' end, p.book) as who, p.book, count(*)::int as n
    from payments p left join shifts sh on sh.id = p.shift_id group by 1, 2 order by 1, 2`);
  assert.equal(books.map((b) => [b.who, b.book]), [['kiosk-1', 'shift'], ['office', 'office']]);
  assert.is((await q(sql`select count(*)::int as n from refunds where book is null`))[0]!.n, 0);
  assert.equal(differences(await reconcile()), []);
  const v = must(await api(u, '/api/v1/audit/verify'), 200);
  assert.ok(v.ok, JSON.stringify(v.problems?.slice(0, 3)));
});

test.run();
