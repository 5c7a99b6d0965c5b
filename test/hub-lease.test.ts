import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SiteHub } from '../edge/hub/hub.ts';
import { businessDay } from '../shared/time/zone.ts';
import { api, startTestCloud, TEST_ADMIN_PASSWORD, testLog, waitFor } from './support/cloud.ts';
import { hubApi, hubConfigVia, hubLogin, openShiftsAndCut, stopHubSite, wanTo } from './support/hub.ts';
import { cash, must, seedOffice } from './support/office.ts';
import { provision } from './support/provision.ts';

type Cloud = Awaited<ReturnType<typeof startTestCloud>>;
const rows = async <T>(cloud: Cloud, q: ReturnType<typeof sql>) => ((await cloud.ctx!.db.execute(q)) as unknown as { rows: T[] }).rows;

/** Persons of live (not revoked) adult tickets for the day, at HQ and (not yet uploaded) at the hub. */
async function liveAdults(cloud: Cloud, day: string): Promise<{ hq: number; pool: number }> {
  const [live] = await rows<{ n: number }>(cloud, sql`select coalesce(sum(t.persons), 0)::int n from tickets t join ticket_types y on y.id = t.type_id
    join sales s on s.id = t.sale_id join orders o on o.id = s.order_id where y.code = 'adult' and o.visit_day = ${day} and t.revoked_reason is null`);
  const [pool] = await rows<{ n: number }>(cloud, sql`select coalesce(max(d.sold), 0)::int n from day_capacity d join ticket_types y on y.id = d.type_id where y.code = 'adult' and d.day = ${day}`);
  return { hq: live!.n, pool: pool!.n };
}

test('capacity leases: HQ and a hub with its WAN cut never sell past a day\'s capacity together; the hub asks for more and gives back', async () => {
  const cloud = await startTestCloud();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hublease-'));
  const wan = await wanTo(cloud);
  let hub: SiteHub | undefined;
  const config = (target: number) => hubConfigVia(dataDir, wan, { window: { syncIntervalMs: 200, lease: { target, days: 1 } } });
  try {
    await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }]);
    const { sellers } = await seedOffice(cloud.url, { capacity: 10 });
    const today = businessDay(Date.now(), 'Asia/Shanghai');
    hub = new SiteHub(config(4), testLog.child('hub'));
    await hub.start();
    const h = hub;

    // Line up: HQ leases the hub 4 of the day's 10 adult places, and counts them as taken.
    await waitFor('the hub holds its lease', () => h.state().window?.leases?.find((l) => l.left === 4));
    await waitFor('and its key', () => h.state().window?.delegation);
    const atHq = must(await api(cloud.url, `/api/v1/hub-leases?site=demo&day=${today}`), 200).items as any[];
    assert.equal(atHq.map((l) => ({ hub: l.hub, type: l.type, held: l.held, left: l.left })), [{ hub: 'hub-1', type: 'adult', held: 4, left: 4 }]);
    assert.is(must(await api(cloud.url, `/api/v1/capacity/adult/${today}`), 200).left, 6, 'HQ sells only what the lease leaves');
    assert.is(h.state().window!.leases!.length, 1, 'a type HQ does not limit (child) needs no lease');
    // The seller at HQ sells from the same day, through HQ's own window. The ADSL drops. Both
    // sides sell as fast as visitors come.
    const hqSeller = sellers[1]!.token;
    const seller = await openShiftsAndCut(h, { cloudUrl: cloud.url, hqSeller, wan });
    const hubSales = [];
    hubSales.push(must(await hubApi(h, '/orders', { token: seller, key: 'h1', body: { lines: [{ type: 'adult', quantity: 3 }, { type: 'child', quantity: 5 }], payments: [cash(3 * 12000 + 5 * 6000)] } }), 201));
    const short = await hubApi(h, '/orders', { token: seller, key: 'h2', body: { lines: [{ type: 'adult', quantity: 2 }], payments: [cash(24000)] } });
    assert.is(short.status, 409);
    assert.is(short.body.error.code, 'lease_exhausted');
    assert.match(short.body.error.message, /站点可售余量不足/);
    hubSales.push(must(await hubApi(h, '/orders', { token: seller, key: 'h3', body: { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } }), 201));
    const hqOrders = [];
    for (let i = 0; i < 7; i++) {
      const r = await api(cloud.url, '/api/v1/orders', { token: hqSeller, headers: { 'idempotency-key': `hq-${i}` }, body: { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } });
      if (i < 6) hqOrders.push(must(r, 201));
      else assert.is(r.body.error.code, 'sold_out', 'HQ stops at what the hub does not hold');
    }
    let now = await liveAdults(cloud, today);
    assert.is(now.hq + 4, 10, 'six at HQ, four at the hub: the day is full, not over');

    // The line is back: the sales go up; nothing is left to lease, nothing was oversold.
    for (const l of wan) l.restore();
    await waitFor('HQ holds the hub\'s sales', () => h.state().window!.journal.pending === 0 && h.state().upstream, 20_000);
    now = await liveAdults(cloud, today);
    assert.is(now.hq, 10);
    assert.is(now.pool, 10);
    const [over] = await rows<{ n: number }>(cloud, sql`select count(*)::int n from audit_log where action = 'hub_over_capacity'`);
    assert.is(over!.n, 0, 'every hub sale was inside its lease');
    const lease = (must(await api(cloud.url, `/api/v1/hub-leases?site=demo&day=${today}`), 200).items as any[])[0];
    assert.equal({ held: lease.held, sold: lease.sold, recorded: lease.recorded, left: lease.left }, { held: 4, sold: 4, recorded: 4, left: 0 });

    // A refund at HQ frees a place; the hub, short, asks for it and gets it.
    must(await api(cloud.url, `/api/v1/orders/${hqOrders[0].id}/refunds`, { body: { tickets: [hqOrders[0].lines[0].tickets[0].id], method: 'cash', reason: '游客改变行程' } }), 201);
    const retry = await hubApi(h, '/orders', { token: seller, key: 'h4', body: { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } });
    assert.is(retry.body.error?.code, 'lease_exhausted', 'not before HQ answered');
    await waitFor('the hub was leased the freed place', () => h.state().window!.leases!.find((l) => l.left >= 1));
    hubSales.push(must(await hubApi(h, '/orders', { token: seller, key: 'h4', body: { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } }), 201));
    await waitFor('uploaded', () => h.state().window!.journal.pending === 0);
    now = await liveAdults(cloud, today);
    assert.is(now.hq, 10);
    assert.is(now.pool, 10);
    assert.is((await api(cloud.url, '/api/v1/orders', { token: hqSeller, headers: { 'idempotency-key': 'hq-late' }, body: { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } })).body.error.code, 'sold_out');

    // A refund at the hub gives its places to HQ's pool (not back to the lease).
    const admin = await hubLogin(h, 'admin', TEST_ADMIN_PASSWORD);
    must(await hubApi(h, '/shifts', { token: admin, body: { floatFen: 0 } }), 201);
    must(await hubApi(h, `/orders/${hubSales[1].id}/refunds`, { token: admin, body: { method: 'cash', reason: '游客改变行程' } }), 201);
    await waitFor('the hub\'s refund at HQ', () => h.state().window!.journal.pending === 0);
    now = await liveAdults(cloud, today);
    assert.is(now.hq, 9);
    assert.is(now.pool, 9);
    must(await api(cloud.url, '/api/v1/orders', { token: hqSeller, headers: { 'idempotency-key': 'hq-after' }, body: { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } }), 201);

    // A hub that needs less gives back: restarted with a target of 0, it returns what it holds unsold.
    await h.stop();
    must(await api(cloud.url, `/api/v1/capacity/adult/${today}`, { method: 'PUT', body: { capacity: 14 } }), 200);
    hub = new SiteHub(config(2), testLog.child('hub'));
    await hub.start();
    const h2 = hub;
    await waitFor('leased 2 more', () => h2.state().window?.leases?.find((l) => l.held === 7 && l.left === 2)).catch((err) => { throw new Error(`${err.message}: ${JSON.stringify(h2.state().window)}`); });
    await h2.stop();
    hub = new SiteHub(config(0), testLog.child('hub'));
    await hub.start();
    const h3 = hub;
    await waitFor('gave them back', async () => (must(await api(cloud.url, `/api/v1/hub-leases?site=demo&day=${today}`), 200).items as any[])[0]?.held === 5);
    assert.is(must(await api(cloud.url, `/api/v1/capacity/adult/${today}`), 200).left, 4, '14 - 10 sold: the given back places are HQ\'s again');
    assert.is(h3.state().window!.leases!.find((l) => l.day === today)!.left, 0);
    assert.ok(must(await api(cloud.url, '/api/v1/audit/verify'), 200).ok);
  } finally {
    await stopHubSite({ hub, wan, cloud, dataDir });
  }
});

test.run();
