import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createCardReader } from '../hardware/card/create.ts';
import { MifareClassicCard } from '../hardware/card/mifare.ts';
import { Pn532Sim } from '../hardware/card/pn532-sim.ts';
import { SimLockerBank } from '../hardware/locker/sim.ts';
import { openPtyPair, type PtyPair } from '../hardware/testing/pty.ts';
import { businessDay, DEFAULT_TZ } from '../shared/time/zone.ts';
import { startTestPos, type TestPos } from '../edge/pos/testing/pos.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { provision } from './support/provision.ts';

/**
 * A day at the water park against a real HQ (PGlite, HTTP and its MQTT broker on loopback):
 * 50 wristbands issued with deposits and top-ups at the window, three shops with their own
 * POS agents (real SQLite; one of them off the line for part of the day), a band read by a
 * PN532 simulator over a pseudo-terminal, lockers by deposit and by the hour, a refund with
 * the supervisor's PIN, a band lost and blocked, a band spent past its balance across an
 * offline and an online shop, and every band settled at the exit. At the end HQ's books
 * balance, nothing is owed to anyone who left, and each shop's settlement is exactly what
 * its POS charged.
 */
const cloud = await startTestCloud();
const site = 'demo';
await provision(cloud.url, site, [{ device: 'pos-1', role: 'pos' }, { device: 'pos-2', role: 'pos' }, { device: 'pos-3', role: 'pos' }]);
const PIN = '2468';
let pty: PtyPair;
let sim: Pn532Sim;
const bank = new SimLockerBank({ lockers: Array.from({ length: 10 }, (_, i) => `L${String(i + 1).padStart(2, '0')}`) });
const tills: TestPos[] = [];
let seq = 0;
const key = () => ({ 'Idempotency-Key': `water-day-${++seq}` });

// A small deterministic generator: the same day every run.
let seed = 20260707;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)]!;

const SHOPS = {
  snack: { name: '小吃部', tenant: true, commissionBp: 1000, items: { cola: ['可乐', 500], noodles: ['牛肉面', 2800], icecream: ['冰淇淋', 1200] } },
  gift: { name: '泳具店', tenant: false, commissionBp: 0, items: { goggles: ['泳镜', 4500], cap: ['泳帽', 2000] } },
  rental: { name: '租赁处', tenant: true, commissionBp: 500, items: { tube: ['游泳圈', 1500], cabana: ['遮阳棚', 8000] } },
} as const;
type Shop = keyof typeof SHOPS;

const band = (i: number) => `B0${i.toString(16).toUpperCase().padStart(6, '0')}`;
const wallets: { id: string; uid: string }[] = [];

test.before(async () => {
  for (const [code, s] of Object.entries(SHOPS)) {
    assert.is((await api(cloud.url, `/api/v1/shops/${code}`, { method: 'PUT', body: { name: s.name, tenant: s.tenant, commissionBp: s.commissionBp } })).status, 200);
    for (const [item, [name, priceFen]] of Object.entries(s.items)) {
      assert.is((await api(cloud.url, `/api/v1/shops/${code}/items/${item}`, { method: 'PUT', body: { name, priceFen } })).status, 200);
    }
  }
  for (let i = 1; i <= 10; i++) {
    const code = `L${String(i).padStart(2, '0')}`;
    assert.is((await api(cloud.url, `/api/v1/lockers/${site}/${code}`, { method: 'PUT', body: i <= 5 ? { mode: 'deposit', feeFen: 2000 } : { mode: 'hourly', feeFen: 500 } })).status, 200);
  }
  pty = await openPtyPair();
  sim = new Pn532Sim({ path: pty.b, baudRate: 115200 });
  await sim.start();
  const reader = await createCardReader({ driver: 'pn532', path: pty.a, pollMs: 30, ackTimeoutMs: 1500, reconnectMs: 20 });
  const pin = createHash('sha256').update(PIN).digest('hex');
  const common = { cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, supervisorPinSha256: pin };
  // pos-1 pulls only when the doorbell rings (MQTT): what it knows of other shops' charges and
  // of a lost band comes that way.
  tills.push(await startTestPos({ ...common, device: 'pos-1', shop: 'snack', pullIntervalMs: 600_000, staleMs: 600_000 }));
  tills.push(await startTestPos({ ...common, device: 'pos-2', shop: 'gift' }, { card: reader }));
  // The rental desk is also the locker station: ten lockers on its bank (the simulator).
  tills.push(await startTestPos({ ...common, device: 'pos-3', shop: 'rental', offlineLimitFen: 3000 }, { lockers: bank }));
});

test.after(async () => {
  for (const t of tills) await t.stop();
  await sim?.stop();
  await pty?.close();
  await cloud.cleanup();
});

const till = (shop: Shop) => tills.find((t) => t.agent.config.shop === shop)!;
const charge = (shop: Shop, uid: string, items: { code: string; quantity: number }[]) => till(shop).call('POST', '/api/charges', { bandUid: uid, items });

test('a day at the park: books equal to the fen', async () => {
  // Morning: 50 bands at the window, deposit 30 yuan, 100 or 200 yuan on them, any payment method.
  for (let i = 0; i < 50; i++) {
    const r = await api(cloud.url, '/api/v1/wallets', { body: { bandUid: band(i), depositFen: 3000, topUpFen: i === 49 ? 3000 : i % 2 ? 10_000 : 20_000, method: (['cash', 'card', 'mobile'] as const)[i % 3] }, headers: key() });
    assert.is(r.status, 201, JSON.stringify(r.body));
    wallets.push({ id: r.body.id, uid: r.body.bandUid });
  }
  // Some top up again during the day.
  for (let i = 0; i < 10; i++) assert.is((await api(cloud.url, `/api/v1/wallets/${wallets[i]!.id}/top-ups`, { body: { amountFen: 5000, method: 'mobile' }, headers: key() })).status, 201);
  // Every till knows every band before the first visitor comes.
  for (const t of tills) await waitFor(`${t.agent.config.device} has the bands`, () => t.agent.store.walletCount() === 50);
  for (const t of tills) await waitFor(`${t.agent.config.device} has its items`, () => t.agent.store.items().length > 0);

  // Lockers: five by deposit, five by the hour.
  for (let i = 0; i < 10; i++) {
    const a = await api(cloud.url, `/api/v1/lockers/${site}/L${String(i + 1).padStart(2, '0')}/assign`, { body: { walletId: wallets[i]!.id } });
    assert.is(a.status, 200, JSON.stringify(a.body));
  }
  // Two lockers given back before the exit.
  assert.is((await api(cloud.url, `/api/v1/lockers/${site}/L01/release`, { body: {} })).status, 200);
  assert.is((await api(cloud.url, `/api/v1/lockers/${site}/L06/release`, { body: {} })).status, 200);

  // A band opens its own locker at the locker station, and no other; a returned locker opens for no one.
  const openAt = (uid: string) => till('rental').call('POST', '/api/lockers/open', { bandUid: uid });
  await waitFor('locker list at the station', () => till('rental').agent.store.lockersOf(wallets[2]!.uid).length === 1 && till('rental').agent.store.lockersOf(wallets[0]!.uid).length === 0);
  assert.equal((await openAt(wallets[2]!.uid)).body.opened, ['L03']);
  assert.equal(bank.unlocks.at(-1)!.locker, 'L03');
  assert.is((await openAt(wallets[20]!.uid)).body.error.code, 'no_locker');
  assert.is((await openAt(wallets[0]!.uid)).body.error.code, 'no_locker', 'L01 was given back');
  bank.close('L03');

  // A band on the gift shop's reader (PN532 simulator, its real frames over a pty).
  sim.place(new MifareClassicCard({ uid: band(5).toLowerCase() }));
  await waitFor('band read at the gift shop', async () => (await till('gift').call('GET', '/api/state')).body.band?.uid === band(5));
  sim.remove();
  const read = await till('gift').call('GET', '/api/state');
  assert.is((await charge('gift', read.body.band.uid, [{ code: 'cap', quantity: 1 }])).status, 201);

  // Spending: the rental till is off the line for visitors 20 to 39.
  let refused = 0;
  for (let i = 0; i < 48; i++) {
    if (i === 20) {
      till('rental').setOffline(true);
      await waitFor('rental till offline', () => !till('rental').agent.pos.online());
    }
    if (i === 40) till('rental').setOffline(false);
    for (let k = 0; k < 3; k++) {
      const shop = pick(Object.keys(SHOPS) as Shop[]);
      const item = pick(Object.keys(SHOPS[shop].items));
      const r = await charge(shop, wallets[i]!.uid, [{ code: item, quantity: 1 + Math.floor(rand() * 2) }]);
      if (r.status !== 201) {
        assert.ok(['insufficient_balance', 'offline_limit'].includes(r.body.error.code), JSON.stringify(r.body));
        refused++;
      }
    }
  }
  assert.ok(refused < 48, `${refused} charges refused`);

  // A charge refunded at the gift shop with the supervisor's PIN; a wrong PIN refuses.
  const first = (await till('gift').call('GET', '/api/charges')).body.items.at(-1);
  assert.is((await till('gift').call('POST', '/api/refunds', { chargeId: first.chargeId, pin: '0000' })).body.error.code, 'supervisor_required');
  const back = await till('gift').call('POST', '/api/refunds', { chargeId: first.chargeId, pin: PIN });
  assert.is(back.status, 201, JSON.stringify(back.body));
  assert.is((await till('gift').call('POST', '/api/refunds', { chargeId: first.chargeId, pin: PIN })).body.error.code, 'already_refunded');

  // Over-spend across an offline and an online shop: band 49 holds 30 yuan.
  till('rental').setOffline(true);
  await waitFor('rental till offline again', () => !till('rental').agent.pos.online());
  const off = await charge('rental', wallets[49]!.uid, [{ code: 'tube', quantity: 2 }]); // 30 yuan, offline
  assert.is(off.status, 201, JSON.stringify(off.body));
  assert.is(off.body.offline, true);
  const limit = await charge('rental', wallets[49]!.uid, [{ code: 'tube', quantity: 1 }]);
  assert.is(limit.body.error.code, 'insufficient_balance', 'the offline till never goes past the balance it last knew');
  const on = await charge('snack', wallets[49]!.uid, [{ code: 'noodles', quantity: 1 }]); // 28 yuan at the online till
  assert.is(on.status, 201, JSON.stringify(on.body));
  till('rental').setOffline(false);

  // Band 48 is lost: blocked at HQ, and the snack till (doorbell only) refuses it at once.
  assert.is((await api(cloud.url, `/api/v1/wallets/${wallets[48]!.id}/lost`, { body: {} })).status, 200);
  await waitFor('lost band blocked at the snack till', async () => (await till('snack').call('GET', `/api/bands/${wallets[48]!.uid}`)).body.state === 'lost', 5000)
    .catch((err) => { throw new Error(`${err.message}: ${JSON.stringify(till('snack').agent.store.wallet(wallets[48]!.uid))} ${till('snack').agent.downlink.lastError} checkpoint ${till('snack').agent.store.checkpoint()}`); });
  assert.is((await charge('snack', wallets[48]!.uid, [{ code: 'cola', quantity: 1 }])).body.error?.code, 'band_blocked');

  // Everything reaches HQ.
  for (const t of tills) await waitFor(`${t.agent.config.device} outbox empty`, () => t.agent.store.outboxSize() === 0, 20_000);
  const over = (await api(cloud.url, '/api/v1/wallets/overspent')).body.items;
  // Online, HQ decides each charge: only charges decided offline (the rental till, off the
  // line) can spend a band past its balance, and each such case is reported.
  assert.equal(over.filter((o: any) => o.bandUid === wallets[49]!.uid).map((o: any) => [o.device, o.overspentFen, o.offline]), [['pos-3', 2800, true]], 'the over-spend is reported');
  for (const o of over) assert.ok(o.offline && o.device === 'pos-3', JSON.stringify(o));

  // Each shop's takings at HQ are exactly what its till charged (charges less refunds).
  const day = businessDay(Date.now(), DEFAULT_TZ);
  const settlement = (await api(cloud.url, `/api/v1/reports/shop-settlement?from=${day}&to=${day}`)).body.rows;
  for (const t of tills) {
    // A till's rows: charges HQ recorded, and charges HQ declined while the cashier waited.
    const local = t.agent.store.db.prepare(`select coalesce(sum(case when void_of is null then amount_fen else -amount_fen end) filter (where hq_result in ('recorded', 'duplicate')), 0) as net,
      count(*) as n, count(*) filter (where hq_result in ('recorded', 'duplicate', 'rejected:insufficient_balance', 'rejected:band_blocked')) as answered from charges`).get() as { net: number; n: number; answered: number };
    assert.is(local.answered, local.n, `${t.agent.config.device}: every charge answered by HQ`);
    const row = settlement.find((r: any) => r.shop === t.agent.config.shop);
    assert.is(row.netFen, local.net, `${t.agent.config.shop}: HQ's settlement equals the till`);
    if (SHOPS[t.agent.config.shop as Shop].tenant) assert.is(row.commissionFen + row.payableFen, row.netFen);
  }

  // Evening: every band settles at the exit desk (lockers still held are released there).
  let refunded = 0;
  let collected = 0;
  for (const w of wallets) {
    const s = await api(cloud.url, `/api/v1/wallets/${w.id}/settle`, { body: { refundTo: 'original' }, headers: key() });
    assert.is(s.status, 200, JSON.stringify(s.body));
    assert.is(s.body.state, 'settled');
    refunded += s.body.refund.reduce((n: number, r: any) => n + r.amountFen, 0);
    collected += s.body.bandFeeFen;
  }
  assert.ok(refunded > 0 && collected === 3000, 'the lost band paid its deposit as the fee');
  assert.is((await api(cloud.url, `/api/v1/lockers?site=${site}`)).body.items.filter((l: any) => l.walletId).length, 0, 'every locker free');

  // The books: every movement balances; nothing is owed to those who left; money in less money
  // out is what the shops took plus the park's fees.
  const sum = async (where: string) => Number(((await cloud.ctx!.db.execute(`select coalesce(sum(amount_fen), 0)::bigint as s from wallet_lines ${where}` as never)) as any).rows[0].s);
  assert.is(await sum(''), 0);
  const liab = (await api(cloud.url, `/api/v1/reports/wallet-liabilities?from=${day}&to=${day}`)).body.rows.at(-1);
  assert.is(liab.liabilityFen, 0, 'wallet liability back to 0');
  const shopsNet = settlement.reduce((n: number, r: any) => n + r.netFen, 0);
  assert.is(await sum(`where account like 'pay:%'`), shopsNet + -(await sum(`where account like 'fee:%'`)), 'cash in less cash out = shop takings + fees');
  assert.is(liab.paidInFen - liab.paidOutFen, shopsNet + liab.feesFen);
  const audit = await api(cloud.url, '/api/v1/audit/verify');
  assert.is(audit.body.ok, true, 'audit chain intact');
});

test.run();
