import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHubConfig } from '../edge/hub/config.ts';
import { SiteHub } from '../edge/hub/hub.ts';
import { PrintBridge } from '../edge/print-bridge/bridge.ts';
import { parseBridgeConfig } from '../edge/print-bridge/config.ts';
import type { SimPrinter } from '../hardware/printer/sim.ts';
import { startBrowser } from './support/browser.ts';
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
 * quota never exceeded. (Cash and card, a group, a refund of an outage sale and the shift
 * close, with HQ's books to the fen: test/hub-sell.test.ts, same hub, gate and line.)
 */
test('the window app at the hub sells by slot and hands out a booking with the WAN down; a gate admits them; HQ has them when it returns', async () => {
  const cloud = await startTestCloud();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hubweb-'));
  const wan = new LinkSim({ target: { host: '127.0.0.1', port: cloud.httpPort }, latencyMs: 30 });
  let hub: SiteHub | undefined;
  let bridge: PrintBridge | undefined;
  let browser: Awaited<ReturnType<typeof startBrowser>> | undefined;
  let gate: TestGate | undefined;
  try {
    await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }, { device: 'gate-1', lanes: ['lane-1'] }]);
    const { sellers } = await seedOffice(cloud.url);
    const today = businessDay(Date.now(), 'Asia/Shanghai');
    // Today is sold by time slot: one slot all day, 6 places.
    must(await api(cloud.url, '/api/v1/slots/demo/main', { body: { fromDay: today, toDay: today, start: '00:00', end: '24:00', everyMinutes: 1440, quota: 6 } }), 200);
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
      window: { webDir: join(new URL('..', import.meta.url).pathname, 'web/dist'), syncIntervalMs: 300, lease: { target: 50, slotTarget: 3, days: 1 } },
    }), testLog.child('hub'));
    await hub.start();
    const h = hub;
    await waitFor('the hub has its kit, key and slot lease', () => h.state().window?.delegation && h.state().window?.leases?.some((l) => l.kind === 'slot' && l.left === 3));
    const head = Number((await cloud.ctx!.db.execute(sql`select coalesce(max(seq), 0)::int n from changes where site = 'demo'`) as unknown as { rows: { n: number }[] }).rows[0]!.n);
    await waitFor('the hub\'s copy holds the booking and the key', () => (h.state().changeLog?.checkpoint ?? 0) >= head);
    gate = await startTestGate({ device: 'gate-1', lane: 'lane-1', cloudUrl: h.url, mqttUrl: h.mqttUrl });
    const g = gate;
    await waitFor('the gate synced from the hub', () => g.agent.store.checkpoint() >= head);
    wan.cut();
    bridge = new PrintBridge(parseBridgeConfig({ printer: { driver: 'sim' }, http: { port: 0 }, allowOrigins: [h.url] }));
    await bridge.start();
    const printer = bridge.device as SimPrinter;
    browser = await startBrowser({ init: `localStorage.setItem('tk.printer', JSON.stringify({ mode: 'bridge', bridgeUrl: '${bridge.url}' }))` });
    const page = browser.page;
    await page.goto(`${h.url}/#/login`);
    await page.fill('#login-username', 'seller1');
    await page.fill('#login-password', 'seller1-password');
    await page.click('#login-submit');
    await page.waitForSelector('[data-who]');
    await page.fill('#shift-float', '500');
    await page.click('#shift-open');
    await page.waitForSelector('button.type[data-type="adult"]');
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
    // 取票 at the hub's window, from its copy of the change log.
    await page.click('[data-menu="/window/pickup"]');
    await page.fill('#pickup-order', booking.orderNo);
    await page.fill('#pickup-phone', '13811112222');
    await page.click('#pickup-find');
    await page.click(`[data-booking="${booking.orderNo}"] [data-pickup]`);
    await page.waitForSelector(`[data-booking="${booking.orderNo}"] [data-picked]:has-text("2")`);
    assert.is(printer.jobs.length, 4, 'and the booking\'s two');
    assert.is(h.state().window!.journal.pending, 2);
    // The gate on the hub's LAN admits the sold tickets (their slot signed in) and the booking's.
    const sold = h.book!.entries(0, 100).flatMap((e) => (e.kind === 'order' ? e.order.lines.flatMap((l) => l.tickets.map((t) => t.code)) : []));
    assert.is(sold.length, 2);
    for (const code of [...sold, ...booking.tickets.map((t: any) => t.code)]) assert.ok((await g.agent.present(code)).admit, 'admitted offline');
    wan.restore();
    await waitFor('HQ has the sale and the pickup', () => h.state().window!.journal.pending === 0, 15_000);
    const orders = (await api(cloud.url, `/api/v1/orders?seller=${sellers[0]!.id}&limit=10`)).body.items as { totalFen: number }[];
    assert.equal(orders.map((o) => o.totalFen), [24000]);
    const slot = must(await api(cloud.url, `/api/v1/slots/demo/main?day=${today}`), 200).items[0];
    assert.ok(slot.sold + slot.soldWalkIn <= slot.quota, 'the slot\'s quota held');
    const bound = (await cloud.ctx!.db.execute(sql`select count(*)::int n from ticket_slots ts join tickets t on t.id = ts.ticket_id where t.code in ${sold}`) as unknown as { rows: { n: number }[] }).rows[0]!.n;
    assert.is(bound, 2, 'HQ binds the hub\'s tickets to their slot');
    const picked = must(await api(cloud.url, `/api/v1/channels/bookings/${booking.orderNo}`, { token: null, headers: hc }), 200);
    assert.is(picked.state, 'picked_up');
    assert.ok(must(await api(cloud.url, '/api/v1/audit/verify'), 200).ok);
  } finally {
    await browser?.close();
    await gate?.cleanup();
    await bridge?.stop();
    await hub?.stop();
    await wan.stop();
    await cloud.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
