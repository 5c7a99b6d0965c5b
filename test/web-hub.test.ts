import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHubConfig } from '../edge/hub/config.ts';
import { SiteHub } from '../edge/hub/hub.ts';
import { openWindowShift, startBrowserWithBridge } from './support/browser.ts';
import { api, startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { testSiteKey } from './support/devices.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { must, seedOffice } from './support/office.ts';
import { businessDay } from '../shared/time/zone.ts';
import { sql } from 'drizzle-orm';
import { provision } from './support/provision.ts';
import { LinkSim } from './tools/link-sim.ts';

/**
 * The back office app served by the site hub, in real Chromium, with the line to HQ cut: a
 * seller signs in with the HQ password, opens a shift and sells at the hub (today is sold by
 * time slot: the hub's slot lease); the tickets are printed through the window's print
 * bridge; an online booking is picked up (取票) at the hub's window; a gate on the hub's LAN
 * admits both; HQ has the sale, its slot and the pickup once the line is back, the slot's
 * quota never exceeded. In the same outage the seller takes cash and card (a split payment),
 * sells a group on one ticket, refunds a sale made during the outage on the orders screen and
 * closes the shift with what was counted; HQ's orders and its report of the hub's shift agree
 * with the hub's to the fen. (The same over the API, with acks lost and sent again:
 * test/hub-sell.test.ts.)
 */
test('the window app at the hub, with the WAN down, sells by slot (cash, card, a group), refunds, hands out a booking and closes the shift; a gate admits them; HQ has it all, to the fen, when the line returns', async () => {
  const cloud = await startTestCloud();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hubweb-'));
  const wan = new LinkSim({ target: { host: '127.0.0.1', port: cloud.httpPort }, latencyMs: 30 });
  let hub: SiteHub | undefined;
  let browser: Awaited<ReturnType<typeof startBrowserWithBridge>> | undefined;
  let gate: TestGate | undefined;
  try {
    await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }, { device: 'gate-1', lanes: ['lane-1'] }]);
    const { sellers } = await seedOffice(cloud.url);
    // The seller may refund (as HQ grants it); the hub has it with its users.
    must(await api(cloud.url, `/api/v1/users/${sellers[0]!.id}`, { method: 'PATCH', body: { permissions: ['refund'] } }), 200);
    const today = businessDay(Date.now(), 'Asia/Shanghai');
    // Today is sold by time slot: one slot all day, 20 places.
    must(await api(cloud.url, '/api/v1/slots/demo/main', { body: { fromDay: today, toDay: today, start: '00:00', end: '24:00', everyMinutes: 1440, quota: 20 } }), 200);
    // An online booking, paid before the line drops.
    const ch = must(await api(cloud.url, '/api/v1/channels/admin', { body: { code: 'web', name: '官网', kind: 'web' } }), 201);
    must(await api(cloud.url, '/api/v1/channels/admin/web/prices', { method: 'PUT', body: { prices: [{ type: 'child', priceFen: 5000 }] } }), 200);
    const hc = { 'X-Channel-Key': ch.apiKey };
    const bk = must(await api(cloud.url, '/api/v1/channels/bookings', { token: null, headers: { ...hc, 'Idempotency-Key': 'b1' }, body: { visitDay: today, slot: '00:00', items: [{ type: 'child', quantity: 2 }], contact: { name: '游客', phone: '13811112222' } } }), 201);
    const booking = must(await api(cloud.url, `/api/v1/channels/bookings/${bk.orderNo}/pay`, { token: null, headers: { ...hc, 'Idempotency-Key': 'p1' }, body: { amountFen: 10000, paymentRef: 'r1' } }), 200);
    await wan.start();
    hub = new SiteHub(parseHubConfig({
      hub: 'hub-1', site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
      upstream: { mqttUrl: `mqtt://127.0.0.1:${cloud.mqttPort}`, cloudUrl: `http://127.0.0.1:${wan.port}` },
      window: { webDir: join(new URL('..', import.meta.url).pathname, 'web/dist'), syncIntervalMs: 300, lease: { target: 50, slotTarget: 12, days: 1 } },
    }), testLog.child('hub'));
    await hub.start();
    const h = hub;
    await waitFor('the hub has its kit, key and slot lease', () => h.state().window?.delegation && h.state().window?.leases?.some((l) => l.kind === 'slot' && l.left === 12));
    const head = Number((await cloud.ctx!.db.execute(sql`select coalesce(max(seq), 0)::int n from changes where site = 'demo'`) as unknown as { rows: { n: number }[] }).rows[0]!.n);
    await waitFor('the hub\'s copy holds the booking and the key', () => (h.state().changeLog?.checkpoint ?? 0) >= head);
    gate = await startTestGate({ device: 'gate-1', lane: 'lane-1', cloudUrl: h.url, mqttUrl: h.mqttUrl });
    const g = gate;
    await waitFor('the gate synced from the hub', () => g.agent.store.checkpoint() >= head);
    wan.cut();
    browser = await startBrowserWithBridge(h.url);
    const { page, printer } = browser;
    await openWindowShift(page, h.url, 'seller1', '500');
    assert.match(await page.textContent('button.type[data-type="adult"]') ?? '', '¥120.00');
    await page.keyboard.type('2');
    await page.keyboard.press('F1');
    await page.waitForSelector('[data-total]:has-text("240.00")');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#pay-tendered-0:focus');
    await page.keyboard.type('300');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-printed]');
    assert.is(printer.jobs.length, 2, 'two tickets printed through the bridge');
    assert.is(h.state().window!.journal.pending, 1, 'the sale waits at the hub for the line');
    const printed = (n: number) => waitFor(`${n} tickets printed`, () => printer.jobs.length >= n || undefined);
    // An adult and a child, paid 100 in cash and 80 by card (the slip's number asked for).
    await page.click('button.type[data-type="adult"]');
    await page.click('button.type[data-type="child"]');
    await page.waitForSelector('[data-total]:has-text("180.00")');
    await page.click('#sell-pay');
    await page.click('[data-add-pay="card"]');
    await page.fill('#pay-amount-0', '100');
    await page.fill('#pay-tendered-0', '100');
    await page.fill('#pay-amount-1', '80');
    await page.fill('#pay-reference-1', 'POS-778899');
    await page.click('#sell-confirm');
    await printed(4);
    // A group of four on one ticket, cash.
    await page.keyboard.type('4');
    await page.keyboard.press('F1');
    await page.waitForSelector('[data-total]:has-text("480.00")');
    await page.click('.group .el-checkbox');
    await page.click('#sell-pay');
    await page.fill('#pay-tendered-0', '500');
    await page.click('#sell-confirm');
    await printed(5);
    // A child's ticket, cash, that the visitor hands back: refunded on the orders screen.
    await page.click('button.type[data-type="child"]');
    await page.waitForSelector('[data-total]:has-text("60.00")');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#pay-tendered-0:focus');
    await page.keyboard.press('Enter');
    await printed(6);
    await page.click('[data-menu="/window/orders"]');
    await page.click('[data-orders] .el-table__row:has-text("60.00")');
    await page.waitForSelector('[data-order-detail]');
    await page.click('[data-act="refund"]');
    await page.fill('#act-reason', '游客临时不去');
    await page.click('#act-confirm');
    await page.waitForSelector('[data-order-detail]:has-text("已退")');
    assert.is(h.state().window!.journal.pending, 5, 'four sales and a refund wait at the hub');
    // 取票 at the hub's window, from its copy of the change log.
    await page.click('[data-menu="/window/pickup"]');
    await page.fill('#pickup-order', booking.orderNo);
    await page.fill('#pickup-phone', '13811112222');
    await page.click('#pickup-find');
    await page.click(`[data-booking="${booking.orderNo}"] [data-pickup]`);
    await page.waitForSelector(`[data-booking="${booking.orderNo}"] [data-picked]:has-text("2")`);
    assert.is(printer.jobs.length, 8, 'and the booking\'s two');
    assert.is(h.state().window!.journal.pending, 6);
    // The handover: float 500 + cash 240 + 100 + 480 + 60 - 60 paid back = 1320; card slips 80.
    await page.click('[data-menu="/window/shift"]');
    await page.fill('#count-cash', '1320');
    await page.fill('#count-card', '80');
    await page.click('#shift-close');
    await page.waitForSelector('[data-closed] [data-shift-report]');
    assert.is((await page.textContent('[data-closed] [data-diff="cash"]'))?.trim(), '¥0.00');
    assert.is((await page.textContent('[data-closed] [data-diff="card"]'))?.trim(), '¥0.00');
    assert.is(h.state().window!.journal.pending, 7);
    // The gate on the hub's LAN admits the sold tickets (their slot signed in) and the booking's.
    const journal = h.book!.entries(0, 100);
    const refundedIds = new Set(journal.flatMap((e) => (e.kind === 'refund' ? e.refund.tickets : [])));
    const hubTickets = journal.flatMap((e) => (e.kind === 'order' ? e.order.lines.flatMap((l) => l.tickets) : []));
    assert.is(hubTickets.length, 2 + 2 + 1 + 1);
    assert.is(refundedIds.size, 1);
    const sold = hubTickets.filter((t) => !refundedIds.has(t.id)).map((t) => t.code);
    for (const t of hubTickets.filter((t) => !refundedIds.has(t.id))) {
      const d = await g.agent.present(t.code, { persons: t.persons });
      assert.ok(d.admit, `admitted offline: ${d.message}`);
      assert.is(d.persons, t.persons);
    }
    for (const code of booking.tickets.map((t: any) => t.code)) assert.ok((await g.agent.present(code)).admit, 'admitted offline');
    const back = hubTickets.find((t) => refundedIds.has(t.id))!;
    await waitFor('the hub\'s refund reaches its gate', async () => ((await g.agent.present(back.code)).admit ? undefined : true));
    wan.restore();
    await waitFor('HQ has the sales, the refund, the pickup and the shift', () => h.state().window!.journal.pending === 0, 20_000);
    const orders = (await api(cloud.url, `/api/v1/orders?seller=${sellers[0]!.id}&limit=10`)).body.items as { id: string; totalFen: number }[];
    assert.equal(orders.map((o) => o.totalFen).sort((a, b) => a - b), [6000, 18000, 24000, 48000], 'each sale once');
    let netFen = 0;
    for (const o of orders) netFen += must(await api(cloud.url, `/api/v1/orders/${o.id}`), 200).netFen as number;
    assert.is(netFen, 24000 + 18000 + 48000, 'HQ\'s books net of the refund, to the fen');
    const hubShift = h.book!.entries(0, 100).find((e) => e.kind === 'shift');
    assert.ok(hubShift && hubShift.kind === 'shift');
    const hqShift = must(await api(cloud.url, `/api/v1/shifts/${hubShift.shift.id}`), 200);
    const pay = (m: string) => hqShift.report.payments.find((p: any) => p.method === m);
    assert.equal({ expected: pay('cash').expectedFen, counted: pay('cash').countedFen, diff: pay('cash').differenceFen }, { expected: 132000, counted: 132000, diff: 0 });
    assert.equal({ charges: pay('card').chargesFen, counted: pay('card').countedFen }, { charges: 8000, counted: 8000 });
    const slot = must(await api(cloud.url, `/api/v1/slots/demo/main?day=${today}`), 200).items[0];
    assert.ok(slot.sold + slot.soldWalkIn <= slot.quota, 'the slot\'s quota held');
    const bound = (await cloud.ctx!.db.execute(sql`select count(*)::int n from ticket_slots ts join tickets t on t.id = ts.ticket_id where t.code in ${sold}`) as unknown as { rows: { n: number }[] }).rows[0]!.n;
    assert.is(bound, sold.length, 'HQ binds the hub\'s tickets to their slot');
    const picked = must(await api(cloud.url, `/api/v1/channels/bookings/${booking.orderNo}`, { token: null, headers: hc }), 200);
    assert.is(picked.state, 'picked_up');
    assert.ok(must(await api(cloud.url, '/api/v1/audit/verify'), 200).ok);
  } finally {
    await browser?.close();
    await gate?.cleanup();
    await hub?.stop();
    await wan.stop();
    await cloud.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
