import { test } from 'uvu';

// Page functions run in the browser: its document, not Node's.
declare const document: any;
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { startBrowser } from './support/browser.ts';
import { api, startTestCloud, TEST_ADMIN_PASSWORD } from './support/cloud.ts';
import { testDeviceHeader } from './support/devices.ts';
import { provision } from './support/provision.ts';

/**
 * The exit desk screen of the back office in real Chromium against a real HQ: the band read,
 * its deposit, balance, charges (an over-spend flagged) shown, settled by the stated refund
 * rule; a lost band reported there and settled with its deposit kept as the fee.
 */
// The browser loads the built app (test/run.ts builds it for web-* suites; this one asks itself).
execFileSync(process.execPath, ['--import', 'tsx', new URL('../web/scripts/build.ts', import.meta.url).pathname, '--if-stale'], { stdio: 'ignore' });
const cloud = await startTestCloud();
await provision(cloud.url, 'demo', [{ device: 'pos-x', role: 'pos' }]);
const browser = await startBrowser();
const page = browser.page;

test.after(async () => {
  await browser.close();
  await cloud.cleanup();
});

const text = async (sel: string) => (await page.textContent(sel))?.replace(/\s+/g, ' ').trim() ?? '';

test('the exit desk reads a band, shows what it holds, settles it; a lost band pays its deposit', async () => {
  await api(cloud.url, '/api/v1/shops/snack', { method: 'PUT', body: { name: '小吃部' } });
  const w = (await api(cloud.url, '/api/v1/wallets', { body: { bandUid: 'E1E2E3E4', depositFen: 3000, topUpFen: 5000, method: 'mobile' }, headers: { 'Idempotency-Key': 'exit-1' } })).body;
  const up = await api(cloud.url, '/api/v1/sync/pos/charges?site=demo', {
    token: null, headers: testDeviceHeader('demo', 'pos-x', 'pos'),
    body: { device: 'pos-x', charges: [{ chargeId: randomUUID(), walletId: w.id, bandUid: 'E1E2E3E4', shop: 'snack', amountFen: 1800, items: [], at: Date.now(), offline: true }] },
  });
  assert.is(up.body.results[0].result, 'recorded');

  await page.goto(`${cloud.url}/#/login`);
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', TEST_ADMIN_PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('[data-who]');
  await page.goto(`${cloud.url}/#/window/exit`);
  await page.fill('#exit-band', 'e1e2e3e4');
  await page.click('#exit-find');
  await page.waitForSelector('[data-wallet]');
  assert.is(await text('#exit-balance'), '¥32.00');
  assert.is(await text('#exit-deposit'), '¥30.00');
  assert.is(await text('#exit-state'), '使用中');
  assert.match(await text('.charges'), '离线消费');
  assert.is(await text('#exit-due'), '应退 ¥62.00');
  await page.click('#exit-settle');
  await page.waitForSelector('[data-settled]');
  assert.match(await text('[data-settled]'), '移动支付 ¥62.00', 'back the way it was paid');
  assert.is(await text('#exit-state'), '已结算');

  // The band again: returned, not issued.
  await page.click('#exit-find');
  await page.waitForSelector('[data-error]');
  assert.match(await text('[data-error]'), '腕带未发放或已退还');

  // A lost band: reported at the desk, settled with the deposit as the fee, the rest in cash.
  await api(cloud.url, '/api/v1/wallets', { body: { bandUid: 'F1F2F3F4', depositFen: 3000, topUpFen: 2000, method: 'cash' }, headers: { 'Idempotency-Key': 'exit-2' } });
  await page.fill('#exit-band', 'F1F2F3F4');
  await page.click('#exit-find');
  await page.waitForFunction(() => document.querySelector('#exit-balance')?.textContent?.includes('¥20.00'));
  await page.click('#exit-lost');
  await page.waitForFunction(() => document.querySelector('#exit-state')?.textContent === '已挂失');
  assert.is(await text('#exit-due'), '应退 ¥20.00');
  await page.click('#exit-settle');
  await page.waitForSelector('[data-settled]');
  assert.match(await text('[data-settled]'), '现金 ¥20.00');
  assert.match(await text('[data-settled]'), '腕带赔偿 ¥30.00');
  const liab = await cloud.ctx!.db.execute(`select coalesce(sum(amount_fen), 0)::bigint as s from wallet_lines where account like 'wallet:%' or account like 'deposit:%'` as never) as any;
  assert.is(Number(liab.rows[0].s), 0, 'nothing owed once both have left');
});

test.run();
