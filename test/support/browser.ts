import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PrintBridge } from '../../edge/print-bridge/bridge.ts';
import { parseBridgeConfig } from '../../edge/print-bridge/config.ts';
import type { SimPrinter } from '../../hardware/printer/sim.ts';

/** Debian's Chromium, headless, in a fresh profile (never a downloaded browser). */
export async function startBrowser(opts: { viewport?: { width: number; height: number }; init?: string; args?: string[] } = {}): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'tk-chromium-'));
  // playwright takes the profile as launchPersistentContext's userDataDir (it refuses --user-data-dir among the args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run', ...(opts.args ?? [])],
    viewport: opts.viewport ?? { width: 1366, height: 768 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
  });
  if (opts.init) await context.addInitScript(opts.init);
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(15_000);
  return {
    context, page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

type Browser = Awaited<ReturnType<typeof startBrowser>>;

/**
 * A print bridge (edge/print-bridge) with the simulated printer, open to pages from `origin`,
 * and Chromium whose window prints through it. `bridge` adds to the bridge's config (a
 * fingerprint reader, say). close() closes the browser, then stops the bridge.
 */
export async function startBrowserWithBridge(origin: string, opts: { bridge?: Record<string, unknown> } = {}): Promise<Browser & { bridge: PrintBridge; printer: SimPrinter }> {
  const bridge = new PrintBridge(parseBridgeConfig({ printer: { driver: 'sim' }, http: { port: 0 }, allowOrigins: [origin], ...opts.bridge }));
  await bridge.start();
  const browser = await startBrowser({ init: `localStorage.setItem('tk.printer', JSON.stringify({ mode: 'bridge', bridgeUrl: '${bridge.url}' }))` });
  return {
    ...browser, bridge, printer: bridge.device as SimPrinter,
    async close() {
      await browser.close();
      await bridge.stop();
    },
  };
}

/** Signs in on the app at `url`; resolves once it shows who is signed in. */
export async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/#/login`);
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('[data-who]');
}

/** A seller signs in at the window and opens a shift with a cash float (yuan); the sale screen is up. */
export async function openWindowShift(page: Page, url: string, username: string, floatYuan = '200'): Promise<void> {
  await signIn(page, url, username, `${username}-password`);
  await page.fill('#shift-float', floatYuan);
  await page.click('#shift-open');
  await page.waitForSelector('button.type[data-type="adult"]');
}
