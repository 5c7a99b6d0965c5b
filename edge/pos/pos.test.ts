import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { silentLogger } from '../../shared/log/logger.ts';
import { parsePosConfig } from './config.ts';
import { PosError } from './errors.ts';
import { Pos } from './pos.ts';
import { PosStore } from './store.ts';

// The till's decisions on real SQLite (in memory), HQ out of the picture: what a band may
// spend online and offline, blocked bands, refunds, and how HQ's answers fold into the cache.
function till(o: { online: boolean; offlineLimitFen?: number }) {
  let now = 1_000_000;
  const store = new PosStore(':memory:', () => now);
  store.setItems([{ code: 'cola', name: '可乐', priceFen: 500 }, { code: 'meal', name: '套餐', priceFen: 3000 }]);
  store.applyWallets([
    { id: 'w1', bandUid: 'AAAA0001', state: 'open', balanceFen: 10_000, version: 1 },
    { id: 'w2', bandUid: 'AAAA0002', state: 'lost', balanceFen: 5000, version: 2 },
  ], 2);
  const config = parsePosConfig({
    device: 'p', site: 's', shop: 'snack', dataDir: '/tmp/unused', cloudUrl: 'http://127.0.0.1:9', hqTimeoutMs: 100,
    offlineLimitFen: o.offlineLimitFen ?? 5000, supervisorPinSha256: createHash('sha256').update('9999').digest('hex'),
  });
  // Online without an uplink: HQ never answers in time, so each charge ends decided here.
  const pos = new Pos({ config, store, log: silentLogger, now: () => now, lastPullAt: () => (o.online ? now : undefined), onCharged: async () => {} });
  return { store, pos, tick: (ms: number) => (now += ms) };
}
const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof PosError ? e.code : String(e)));

test('offline: the per-band offline limit, and never past the balance last known', async () => {
  const { pos } = till({ online: false, offlineLimitFen: 5000 });
  assert.is((await pos.charge('aaaa0001', [{ code: 'meal', quantity: 1 }])).offline, true);
  assert.is(await code(pos.charge('AAAA0001', [{ code: 'meal', quantity: 1 }])), 'offline_limit', '3000 + 3000 > 5000');
  assert.is((await pos.charge('AAAA0001', [{ code: 'cola', quantity: 4 }])).balanceFen, 5000);
  assert.is(pos.quote('AAAA0001').availableFen, 0);
  const big = till({ online: false, offlineLimitFen: 50_000 });
  assert.is(await code(big.pos.charge('AAAA0001', [{ code: 'meal', quantity: 4 }])), 'insufficient_balance', '12000 > the 10000 last known');
});

test('online (HQ too slow): the balance less what was charged since; blocked and unknown bands refused', async () => {
  const { pos, store } = till({ online: true });
  const a = await pos.charge('AAAA0001', [{ code: 'meal', quantity: 3 }]);
  assert.is(a.offline, true, 'decided here when HQ did not answer in time');
  assert.is(store.chargeById(a.chargeId)!.decided, 'local');
  assert.is(await code(pos.charge('AAAA0001', [{ code: 'meal', quantity: 1 }])), 'insufficient_balance', '1000 left');
  assert.is(await code(pos.charge('AAAA0001', [{ code: 'cola', quantity: 2 }])), 'ok');
  assert.is(await code(pos.charge('AAAA0001', [{ code: 'cola', quantity: 1 }])), 'insufficient_balance');
  assert.is(await code(pos.charge('AAAA0002', [{ code: 'cola', quantity: 1 }])), 'band_blocked');
  assert.is(await code(pos.charge('BBBB0009', [{ code: 'cola', quantity: 1 }])), 'unknown_band');
  assert.is(await code(pos.charge('AAAA0001', [{ code: 'nope', quantity: 1 }])), 'unknown_item');
});

test("HQ's answers fold in: a charge counts until the cache holds a version that includes it", async () => {
  const { pos, store } = till({ online: false, offlineLimitFen: 50_000 });
  const a = await pos.charge('AAAA0001', [{ code: 'meal', quantity: 1 }]);
  assert.is(pos.quote('AAAA0001').balanceFen, 7000);
  // HQ recorded it at version 5 with 7000 left: the cache learns it, the charge is no longer pending.
  store.acknowledge([{ chargeId: a.chargeId, result: 'recorded', version: 5, balanceFen: 7000 }]);
  assert.is(pos.quote('AAAA0001').balanceFen, 7000);
  // An older page of the feed (version 3) changes nothing.
  store.applyWallets([{ id: 'w1', bandUid: 'AAAA0001', state: 'open', balanceFen: 10_000, version: 3 }], 3);
  assert.is(pos.quote('AAAA0001').balanceFen, 7000);
  // A top-up at the desk (version 6).
  store.applyWallets([{ id: 'w1', bandUid: 'AAAA0001', state: 'open', balanceFen: 12_000, version: 6 }], 6);
  assert.is(pos.quote('AAAA0001').balanceFen, 12_000);
  // A charge HQ declined is no charge.
  const b = await pos.charge('AAAA0001', [{ code: 'cola', quantity: 1 }]);
  store.acknowledge([{ chargeId: b.chargeId, result: 'rejected:insufficient_balance', version: 7, balanceFen: 12_000 }]);
  assert.is(pos.quote('AAAA0001').balanceFen, 12_000);
});

test('a refund needs the supervisor PIN, once per charge; the band gets it back', async () => {
  const { pos } = till({ online: false });
  const a = await pos.charge('AAAA0001', [{ code: 'meal', quantity: 1 }]);
  assert.is(await code(pos.refund(a.chargeId, '1234')), 'supervisor_required');
  const r = await pos.refund(a.chargeId, '9999');
  assert.is(r.balanceFen, 10_000);
  assert.is(await code(pos.refund(a.chargeId, '9999')), 'already_refunded');
  assert.is(await code(pos.refund(r.chargeId, '9999')), 'unknown_charge', 'a refund is not refunded');
});

test('a band returned and issued again as a new wallet takes over the UID in the cache', () => {
  const { store } = till({ online: false });
  store.applyWallets([{ id: 'w1', bandUid: 'AAAA0001', state: 'settled', balanceFen: 0, version: 8 }, { id: 'w9', bandUid: 'AAAA0001', state: 'open', balanceFen: 2000, version: 9 }], 9);
  assert.equal(store.wallet('AAAA0001'), { id: 'w9', bandUid: 'AAAA0001', state: 'open', balanceFen: 2000, version: 9 });
  assert.is(store.checkpoint(), 9);
});

test.run();
