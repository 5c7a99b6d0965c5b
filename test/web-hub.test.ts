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
import { seedOffice } from './support/office.ts';
import { provision } from './support/provision.ts';
import { LinkSim } from './tools/link-sim.ts';

/**
 * The back office app served by the site hub, in real Chromium, with the line to HQ cut: a
 * seller signs in with the HQ password, opens a shift and sells at the hub; the tickets are
 * printed through the window's print bridge; HQ has the sale once the line is back.
 */
test('the window app at the hub sells with the WAN down; HQ has the sale when it returns', async () => {
  const cloud = await startTestCloud();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hubweb-'));
  const wan = new LinkSim({ target: { host: '127.0.0.1', port: cloud.httpPort }, latencyMs: 30 });
  let hub: SiteHub | undefined;
  let bridge: PrintBridge | undefined;
  let browser: Awaited<ReturnType<typeof startBrowser>> | undefined;
  try {
    await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }]);
    const { sellers } = await seedOffice(cloud.url);
    await wan.start();
    hub = new SiteHub(parseHubConfig({
      hub: 'hub-1', site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
      upstream: { mqttUrl: `mqtt://127.0.0.1:${cloud.mqttPort}`, cloudUrl: `http://127.0.0.1:${wan.port}` },
      window: { webDir: join(new URL('..', import.meta.url).pathname, 'web/dist'), syncIntervalMs: 300 },
    }), testLog.child('hub'));
    await hub.start();
    const h = hub;
    await waitFor('the hub has its kit and key', () => h.state().window?.delegation);
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
    wan.restore();
    await waitFor('HQ has the sale', () => h.state().window!.journal.pending === 0, 15_000);
    const orders = (await api(cloud.url, `/api/v1/orders?seller=${sellers[0]!.id}&limit=10`)).body.items as { totalFen: number }[];
    assert.equal(orders.map((o) => o.totalFen), [24000]);
  } finally {
    await browser?.close();
    await bridge?.stop();
    await hub?.stop();
    await wan.stop();
    await cloud.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
