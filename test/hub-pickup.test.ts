import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SiteHub } from '../edge/hub/hub.ts';
import { businessDay } from '../shared/time/zone.ts';
import { api, startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { hubApi, hubConfigVia, hubLogin, stopHubSite, wanTo } from './support/hub.ts';
import { cash, must, seedOffice } from './support/office.ts';
import { provision } from './support/provision.ts';

type Cloud = Awaited<ReturnType<typeof startTestCloud>>;
const rows = async <T>(cloud: Cloud, q: ReturnType<typeof sql>) => ((await cloud.ctx!.db.execute(q)) as unknown as { rows: T[] }).rows;

/** A paid online booking of `n` adults for today, through the channel API. */
async function booking(url: string, key: string, phone: string, ref: string, n = 2) {
  const today = businessDay(Date.now(), 'Asia/Shanghai');
  const h = { 'X-Channel-Key': key };
  const b = must(await api(url, '/api/v1/channels/bookings', { token: null, headers: { ...h, 'Idempotency-Key': `${ref}-b` }, body: { visitDay: today, items: [{ type: 'adult', quantity: n }], contact: { name: '游客', phone } } }), 201);
  return must(await api(url, `/api/v1/channels/bookings/${b.orderNo}/pay`, { token: null, headers: { ...h, 'Idempotency-Key': `${ref}-p` }, body: { amountFen: 11000 * n, paymentRef: ref } }), 200);
}

test('pickup at the hub\'s window: from its copy with the line down, uploaded once; a booking also picked up at HQ during the outage is flagged, not lost; the order list shows the site\'s orders', async () => {
  const cloud = await startTestCloud();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hubpick-'));
  const wan = await wanTo(cloud);
  let hub: SiteHub | undefined;
  try {
    await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }]);
    const { sellers } = await seedOffice(cloud.url);
    const ch = must(await api(cloud.url, '/api/v1/channels/admin', { body: { code: 'web', name: '官网', kind: 'web' } }), 201);
    must(await api(cloud.url, '/api/v1/channels/admin/web/prices', { method: 'PUT', body: { prices: [{ type: 'adult', priceFen: 11000 }] } }), 200);
    const one = await booking(cloud.url, ch.apiKey, '13811112222', 'w1');
    const two = await booking(cloud.url, ch.apiKey, '13833334444', 'w2');
    const hqSeller = sellers[1]!.token;
    must(await api(cloud.url, '/api/v1/shifts', { token: hqSeller, body: { floatFen: 0 } }), 201);
    const hqSale = must(await api(cloud.url, '/api/v1/orders', { token: hqSeller, headers: { 'idempotency-key': 'hq-1' }, body: { lines: [{ type: 'child', quantity: 1 }], payments: [cash(6000)] } }), 201);

    hub = new SiteHub(hubConfigVia(dataDir, wan, { window: { syncIntervalMs: 200 } }), testLog.child('hub'));
    await hub.start();
    const h = hub;
    await waitFor('the hub holds its key and the bookings', async () => h.state().window?.delegation && h.state().changeLog?.checkpoint);
    const seller = await hubLogin(h, 'seller1', 'seller1-password');
    await waitFor('bookings in the hub\'s copy', async () => (await hubApi(h, `/pickups/lookup?phone=13811112222`, { token: seller })).body.length === 1);
    await waitFor('HQ\'s orders of the site fetched (its window\'s sale and the two bookings)', async () => (await hubApi(h, '/orders', { token: seller })).body.items?.length === 3);
    must(await hubApi(h, '/shifts', { token: seller, body: { floatFen: 0 } }), 201);

    // The ADSL drops. The window finds bookings by phone, by order number and phone, by QR.
    for (const l of wan) l.cut();
    await waitFor('hub cut off', () => !h.state().upstream);
    const byPhone = must(await hubApi(h, '/pickups/lookup?phone=138%201111%202222', { token: seller }), 200);
    assert.equal(byPhone.map((b: any) => [b.orderNo, b.state, b.tickets.length]), [[one.orderNo, 'issued', 2]]);
    assert.is(must(await hubApi(h, `/pickups/lookup?order=${two.orderNo}&phone=13833334444`, { token: seller }), 200)[0].orderNo, two.orderNo);
    assert.is(must(await hubApi(h, `/pickups/lookup?code=${encodeURIComponent(two.pickupCode)}`, { token: seller }), 200)[0].orderNo, two.orderNo);
    const p1 = must(await hubApi(h, '/pickups', { token: seller, body: { pickupId: 'win-hub-0001', orderNo: one.orderNo, device: 'window' } }), 200);
    assert.equal(p1.booking.tickets.map((t: any) => t.code), one.tickets.map((t: any) => t.code), 'the booking\'s own codes');
    assert.is(must(await hubApi(h, '/pickups', { token: seller, body: { pickupId: 'win-hub-0001', orderNo: one.orderNo } }), 200).result, 'picked_up', 'a retry is the same pickup');
    const twice = await hubApi(h, '/pickups', { token: seller, body: { pickupId: 'win-hub-0002', orderNo: one.orderNo } });
    assert.is(twice.body.error?.code, 'already_picked_up', 'the hub never hands a booking out twice');
    // The tickets print at the hub's window.
    const print = must(await hubApi(h, `/tickets/${one.tickets[0].id}/prints`, { token: seller, body: { output: 'escpos' } }), 200);
    assert.ok(Buffer.from(print.data, 'base64').length > 100);
    // Booking two is handed out at the hub, and at HQ's window too during the outage.
    must(await hubApi(h, '/pickups', { token: seller, body: { pickupId: 'win-hub-0003', orderNo: two.orderNo } }), 200);
    must(await api(cloud.url, '/api/v1/pickups', { token: hqSeller, body: { pickupId: 'win-hq-0003', orderNo: two.orderNo, device: 'window' } }), 200);
    const hubSale = must(await hubApi(h, '/orders', { token: seller, key: 's1', body: { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } }), 201);
    // The order list: the hub's sale and HQ's as fetched before the line dropped.
    const list = must(await hubApi(h, '/orders', { token: seller }), 200).items as any[];
    assert.equal(list.map((o) => [o.id, o.source]).slice(0, 2), [[hubSale.id, 'hub'], [hqSale.id, 'hq']]);
    assert.equal(list.filter((o) => o.source === 'hq').map((o) => o.totalFen).sort(), [22000, 22000, 6000]);
    assert.equal(must(await hubApi(h, `/orders?seller=${hqSale.sellerId}`, { token: seller }), 200).items.map((o: any) => o.id), [hqSale.id]);

    // The line is back: each pickup reaches HQ once; the second of booking two is kept, flagged.
    for (const l of wan) l.restore();
    await waitFor('HQ holds the hub\'s entries', () => h.state().window!.journal.pending === 0 && h.state().upstream, 20_000);
    const picks = await rows<{ pickup_id: string; order_no: string; flag: string | null; device: string; offline: boolean }>(cloud,
      sql`select p.pickup_id, b.order_no, p.flag, p.device, p.offline from booking_pickups p join bookings b on b.id = p.booking_id order by p.pickup_id`);
    assert.equal(picks.map((p) => [p.pickup_id, p.order_no, p.flag, p.device]), [
      ['win-hq-0003', two.orderNo, null, 'window'], ['win-hub-0001', one.orderNo, null, 'hub-1'], ['win-hub-0003', two.orderNo, 'duplicate', 'hub-1'],
    ]);
    assert.ok(picks.find((p) => p.pickup_id === 'win-hub-0001')!.offline, 'made with the line down');
    const flagged = must(await api(cloud.url, '/api/v1/channels/admin/pickups/flagged'), 200) as any[];
    assert.equal(flagged.map((f) => [f.orderNo, f.flag]), [[two.orderNo, 'duplicate']]);
    const [audit] = await rows<{ n: number }>(cloud, sql`select count(*)::int n from audit_log where action = 'hub_pickup_flagged'`);
    assert.is(audit!.n, 1);
    assert.is((await api(cloud.url, `/api/v1/pickups`, { token: hqSeller, body: { pickupId: 'win-hq-0004', orderNo: one.orderNo, device: 'window' } })).body.error?.code, 'already_picked_up', 'HQ does not hand out what the hub did');
    // The hub hears that HQ holds booking one picked up.
    await waitFor('the copy says picked up', async () => (await hubApi(h, `/pickups/lookup?code=${encodeURIComponent(one.pickupCode)}`, { token: seller })).body[0]?.state === 'picked_up');
    assert.ok(must(await api(cloud.url, '/api/v1/audit/verify'), 200).ok);
  } finally {
    await stopHubSite({ hub, wan, cloud, dataDir });
  }
});

test.run();
