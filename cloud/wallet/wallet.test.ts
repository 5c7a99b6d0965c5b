import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { api, login, startTestCloud, TEST_ADMIN_PASSWORD } from '../../test/support/cloud.ts';
import { businessDay, DEFAULT_TZ } from '../../shared/time/zone.ts';
import { testDeviceHeader } from '../../test/support/devices.ts';
import { provision } from '../../test/support/provision.ts';

// HQ's side of the one-card against a real HQ (PGlite) on loopback: issue, top up, charges
// uploaded by a POS (idempotent, over-spend flagged), lockers, lost band, settlement.
const cloud = await startTestCloud();
const site = 'demo';
await provision(cloud.url, site, [{ device: 'pos-1', role: 'pos' }]);
const pos = testDeviceHeader(site, 'pos-1', 'pos');
let n = 0;
const k = () => ({ 'Idempotency-Key': `t-${++n}-${randomUUID()}` });

test.after(async () => cloud.cleanup());

const upload = (charges: unknown[]) => api(cloud.url, `/api/v1/sync/pos/charges?site=${site}`, { body: { device: 'pos-1', charges }, headers: pos, token: null });
const books = async () => (await cloud.ctx!.db.execute(`select coalesce(sum(amount_fen),0)::bigint as s from wallet_lines` as never) as any).rows[0].s;

test('a band issued, topped up, charged, over-spent, settled: books balance to the fen', async () => {
  assert.is((await api(cloud.url, '/api/v1/shops/snack', { method: 'PUT', body: { name: '小吃部', tenant: true, commissionBp: 1000 } })).status, 200);
  assert.is((await api(cloud.url, '/api/v1/shops/snack/items/cola', { method: 'PUT', body: { name: '可乐', priceFen: 500 } })).status, 200);
  const key = k();
  const issued = await api(cloud.url, '/api/v1/wallets', { body: { bandUid: '04a1b2c3', depositFen: 3000, topUpFen: 5000, method: 'mobile' }, headers: key });
  assert.is(issued.status, 201, JSON.stringify(issued.body));
  const again = await api(cloud.url, '/api/v1/wallets', { body: { bandUid: '04a1b2c3', depositFen: 3000, topUpFen: 5000, method: 'mobile' }, headers: key });
  assert.is(again.body.id, issued.body.id, 'a retried issue is the same wallet');
  const w = issued.body;
  assert.is(w.bandUid, '04A1B2C3');
  assert.is(w.balanceFen, 5000);
  assert.is(w.depositFen, 3000);
  const dup = await api(cloud.url, '/api/v1/wallets', { body: { bandUid: '04A1B2C3', depositFen: 3000 }, headers: k() });
  assert.is(dup.status, 409);
  assert.is(dup.body.error.code, 'band_in_use');
  assert.is((await api(cloud.url, `/api/v1/wallets/${w.id}/top-ups`, { body: { amountFen: 2000, method: 'cash' }, headers: k() })).body.balanceFen, 7000);

  const feed = await api(cloud.url, `/api/v1/sync/pos/wallets?site=${site}&since=0`, { headers: pos, token: null });
  assert.is(feed.status, 200, JSON.stringify(feed.body));
  assert.ok(feed.body.wallets.some((x: any) => x.id === w.id && x.balanceFen === 7000));
  const cat = await api(cloud.url, `/api/v1/sync/pos/catalog?site=${site}&shop=snack`, { headers: pos, token: null });
  assert.equal(cat.body.items, [{ code: 'cola', name: '可乐', priceFen: 500 }]);

  const c1 = { chargeId: randomUUID(), walletId: w.id, bandUid: '04A1B2C3', shop: 'snack', amountFen: 6000, items: [{ code: 'cola', name: '可乐', priceFen: 500, quantity: 12 }], at: Date.now(), offline: false };
  const c2 = { ...c1, chargeId: randomUUID(), amountFen: 1500, items: [{ code: 'cola', name: '可乐', priceFen: 500, quantity: 3 }], offline: true };
  const r1 = await upload([c1, c2]);
  assert.is(r1.status, 200, JSON.stringify(r1.body));
  assert.equal(r1.body.results.map((r: any) => r.result), ['recorded', 'recorded']);
  assert.is(r1.body.results[1].overspentFen, 500, 'the second charge went 5 yuan past the balance');
  const r2 = await upload([c1, c2]);
  assert.equal(r2.body.results.map((r: any) => r.result), ['duplicate', 'duplicate'], 'sent again: recorded once');
  const voided = await upload([{ ...c2, chargeId: randomUUID(), voidOf: c2.chargeId }]);
  assert.is(voided.body.results[0].result, 'recorded');
  assert.is(voided.body.results[0].balanceFen, 1000);
  const twice = await upload([{ ...c2, chargeId: randomUUID(), voidOf: c2.chargeId }]);
  assert.is(twice.body.results[0].error.code, 'already_refunded');
  const over = await api(cloud.url, '/api/v1/wallets/overspent');
  assert.is(over.body.items.length, 1);
  assert.is(over.body.items[0].overspentFen, 500);

  // A deposit locker: held from the balance, given back at settlement.
  assert.is((await api(cloud.url, `/api/v1/lockers/${site}/L01`, { method: 'PUT', body: { mode: 'deposit', feeFen: 1000 } })).status, 200);
  const held = await api(cloud.url, `/api/v1/lockers/${site}/L01/assign`, { body: { walletId: w.id } });
  assert.is(held.body.bandUid, '04A1B2C3');
  assert.is((await api(cloud.url, `/api/v1/wallets/bands/04a1b2c3`)).body.balanceFen, 0);

  const settled = await api(cloud.url, `/api/v1/wallets/${w.id}/settle`, { body: { refundTo: 'original' }, headers: k() });
  assert.is(settled.status, 200, JSON.stringify(settled.body));
  // 1000 balance (locker deposit back) + 3000 deposit; mobile paid 8000: all goes back by mobile.
  assert.equal(settled.body.refund, [{ method: 'mobile', amountFen: 4000 }]);
  assert.is(settled.body.state, 'settled');
  assert.is((await api(cloud.url, `/api/v1/lockers?site=${site}`)).body.items[0].walletId, null);
  assert.is((await api(cloud.url, `/api/v1/wallets/bands/04a1b2c3`)).status, 404, 'the band is returned');
  assert.is(Number(await books()), 0, 'every movement balances');

  const day = businessDay(Date.now(), DEFAULT_TZ);
  const rep = await api(cloud.url, `/api/v1/reports/shop-settlement?from=${day}&to=${day}`);
  assert.is(rep.status, 200, JSON.stringify(rep.body));
  const snack = rep.body.rows.find((r: any) => r.shop === 'snack');
  assert.equal([snack.salesFen, snack.refundsFen, snack.netFen, snack.commissionFen, snack.payableFen], [7500, 1500, 6000, 600, 5400]);
  const liab = await api(cloud.url, `/api/v1/reports/wallet-liabilities?from=${day}&to=${day}`);
  assert.is(liab.body.rows.at(-1).liabilityFen, 0, 'nothing owed once the band is settled');
  const token = await login(cloud.url, 'admin', TEST_ADMIN_PASSWORD);
  const csv = await (await fetch(`${cloud.url}/api/v1/reports/shop-settlement?from=${day}&to=${day}&format=csv`, { headers: { authorization: `Bearer ${token}` } })).text();
  assert.ok(csv.includes('小吃部') && csv.includes('54.00'), csv);
});

test('a lost band is blocked at once; its deposit pays the band fee at settlement', async () => {
  const w = (await api(cloud.url, '/api/v1/wallets', { body: { bandUid: 'AA00BB11', depositFen: 3000, topUpFen: 2000, method: 'cash' }, headers: k() })).body;
  const feed0 = (await api(cloud.url, `/api/v1/sync/pos/wallets?site=${site}&since=0`, { headers: pos, token: null })).body.next;
  const lost = await api(cloud.url, `/api/v1/wallets/${w.id}/lost`, { body: {} });
  assert.is(lost.body.state, 'lost');
  const feed = await api(cloud.url, `/api/v1/sync/pos/wallets?site=${site}&since=${feed0}`, { headers: pos, token: null });
  assert.equal(feed.body.wallets.map((x: any) => [x.bandUid, x.state]), [['AA00BB11', 'lost']]);
  const topup = await api(cloud.url, `/api/v1/wallets/${w.id}/top-ups`, { body: { amountFen: 100 }, headers: k() });
  assert.is(topup.body.error.code, 'wallet_closed');
  const s = await api(cloud.url, `/api/v1/wallets/${w.id}/settle`, { body: {}, headers: k() });
  assert.is(s.body.bandFeeFen, 3000);
  assert.equal(s.body.refund, [{ method: 'cash', amountFen: 2000 }]);
  assert.is(Number(await books()), 0);
});

test('only a POS may upload charges, as itself', async () => {
  const r = await api(cloud.url, `/api/v1/sync/pos/charges?site=${site}`, { body: { device: 'pos-2', charges: [] }, headers: pos, token: null });
  assert.is(r.status, 400);
  const gate = await api(cloud.url, `/api/v1/sync/pos/wallets?site=${site}`, { headers: testDeviceHeader(site, 'gate-x', 'gate'), token: null });
  assert.ok(gate.status === 404 || gate.status === 403, String(gate.status));
});

test.run();
