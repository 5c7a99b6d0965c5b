import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SiteHub } from '../edge/hub/hub.ts';
import { addDays, businessDay } from '../shared/time/zone.ts';
import { startBrowser } from './support/browser.ts';
import { api, startTestCloud, TEST_ADMIN_PASSWORD, testLog, waitFor } from './support/cloud.ts';
import { hubApi, hubConfigVia, hubLogin, wanTo } from './support/hub.ts';
import { cash, must, seedOffice } from './support/office.ts';
import { provision } from './support/provision.ts';

/**
 * The lease line on HQ's live screen, in Chromium: what HQ holds for the site hub of each
 * day's capacity and each time slot, what the hub sold, what it has left and when it was last
 * heard, following the hub's sales. Writes docs/live-hub-leases.png.
 */
test('the live screen shows each hub\'s lease: day and slot, leased, sold, left, last heard', async () => {
  const cloud = await startTestCloud();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hubleaselive-'));
  const wan = await wanTo(cloud);
  const browser = await startBrowser({ viewport: { width: 1600, height: 1000 } });
  let hub: SiteHub | undefined;
  try {
    await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }]);
    await seedOffice(cloud.url, { capacity: 100 });
    const tomorrow = addDays(businessDay(Date.now(), 'Asia/Shanghai'), 1);
    must(await api(cloud.url, '/api/v1/slots/demo/main', { body: { fromDay: tomorrow, toDay: tomorrow, start: '08:00', end: '16:00', everyMinutes: 240, quota: 40, walkIn: 10 } }), 200);
    hub = new SiteHub(hubConfigVia(dataDir, wan, { window: { syncIntervalMs: 200, lease: { target: 10, slotTarget: 6, days: 2 } } }), testLog.child('hub'));
    await hub.start();
    const h = hub;
    await waitFor('leases held', () => (h.state().window?.leases ?? []).filter((l) => l.left > 0).length === 4 && h.state().window?.delegation);
    const seller = await hubLogin(h, 'seller1', 'seller1-password');
    must(await hubApi(h, '/shifts', { token: seller, body: { floatFen: 0 } }), 201);
    must(await hubApi(h, '/orders', { token: seller, key: 'a', body: { visitDay: tomorrow, slot: '08:00', lines: [{ type: 'adult', quantity: 2 }], payments: [cash(24000)] } }), 201);
    await waitFor('HQ heard of the sale', async () => (must(await api(cloud.url, '/api/v1/hub-leases?site=demo'), 200).items as any[])
      .filter((l) => l.sold === 2 && l.left === (l.kind === 'slot' ? 6 : 10)).length === 2);

    const page = browser.page;
    await page.goto(`${cloud.url}/#/login`);
    await page.fill('#login-username', 'admin');
    await page.fill('#login-password', TEST_ADMIN_PASSWORD);
    await page.click('#login-submit');
    await page.click('[data-menu="/live"]');
    const card = page.locator('[data-hub-leases]');
    await card.waitFor({ timeout: 15_000 });
    const row = (lease: string) => page.locator(`[data-hub-leases] tr:has([data-lease="${lease}"])`);
    await row(`${tomorrow}:slot:08:00-12:00`).first().waitFor();
    const cells = async (lease: string) => (await row(lease).first().locator('td').allInnerTexts()).map((s) => s.trim());
    const slot = await cells(`${tomorrow}:slot:08:00-12:00`);
    assert.equal(slot.slice(0, 2), ['hub-1', tomorrow]);
    assert.match(slot[2]!, /时段 08:00-12:00/);
    assert.equal(slot.slice(3, 6), ['8', '2', '6'], 'leased 8 (topped up to 6 in hand after the sale), sold 2, left 6');
    assert.match(slot[6]!, /^\d{2}:\d{2}:\d{2}$/, 'last heard');
    const day = await cells(`${tomorrow}:day:成人票`);
    assert.equal(day.slice(3, 6), ['12', '2', '10']);
    assert.is(await row(`${tomorrow}:slot:12:00-16:00`).count(), 1);
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(import.meta.dirname, '../docs/live-hub-leases.png'), fullPage: false });
  } finally {
    await browser.close();
    await hub?.stop();
    for (const l of wan) await l.stop();
    await cloud.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
