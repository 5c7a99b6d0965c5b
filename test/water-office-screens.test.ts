import { test } from 'uvu';

// Page functions run in the browser: its document, not Node's.
declare const document: any;
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startBrowser } from './support/browser.ts';
import { api, startTestCloud, TEST_ADMIN_PASSWORD } from './support/cloud.ts';

/**
 * The water park's set-up screens of the back office in real Chromium against a real HQ:
 * 二次消费点 (a tenant shop with its commission, an item and its price, as HQ then holds them)
 * and 储物柜 (lockers set up, one assigned to a band read at the screen and released, the
 * deposit held from the balance and given back). `WRITE_SCREENSHOTS=1` saves both screens
 * under docs/ for the README.
 */
execFileSync(process.execPath, ['--import', 'tsx', new URL('../web/scripts/build.ts', import.meta.url).pathname, '--if-stale'], { stdio: 'ignore' });
const cloud = await startTestCloud();
const browser = await startBrowser({ viewport: { width: 1440, height: 860 } });
const page = browser.page;
const docs = new URL('../docs/', import.meta.url).pathname;
const shot = async (name: string) => {
  if (process.env.WRITE_SCREENSHOTS !== '1') return;
  await page.waitForTimeout(600);
  await page.screenshot({ path: join(docs, `back-office-${name}.png`) });
};

test.before(async () => {
  await page.goto(`${cloud.url}/#/login`);
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', TEST_ADMIN_PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('[data-who]');
});

test.after(async () => {
  await browser.close();
  await cloud.cleanup();
});

const text = async (sel: string) => (await page.textContent(sel))?.replace(/\s+/g, ' ').trim() ?? '';
const waitText = (sel: string, want: string) => page.waitForFunction(([s, w]) => document.querySelector(s)?.textContent?.includes(w), [sel, want] as const);

test('二次消费点: a tenant shop with its commission, an item and its price', async () => {
  await api(cloud.url, '/api/v1/shops/snack', { method: 'PUT', body: { name: '小吃部' } });
  await api(cloud.url, '/api/v1/shops/snack/items/cola', { method: 'PUT', body: { name: '可乐', priceFen: 500 } });
  await page.goto(`${cloud.url}/#/system/shops`);
  await page.waitForSelector('[data-kind="snack"]');
  assert.is(await text('[data-kind="snack"]'), '自营');

  await page.click('#shop-new');
  await page.fill('#shop-code', 'bad code');
  await page.fill('#shop-name', '冰淇淋');
  await page.click('#shop-save');
  await waitText('.shops', '编号只能用字母');
  await page.fill('#shop-code', 'ice');
  await page.click('#shop-tenant');
  await page.fill('#shop-commission', '15');
  await page.click('#shop-save');
  await page.waitForSelector('[data-kind="ice"]');
  assert.is(await text('[data-kind="ice"]'), '联营 · 佣金 15%');
  const ice = (await api(cloud.url, '/api/v1/shops')).body.items.find((s: any) => s.code === 'ice');
  assert.equal({ tenant: ice.tenant, commissionBp: ice.commissionBp, name: ice.name }, { tenant: true, commissionBp: 1500, name: '冰淇淋' });

  // Its items: a wrong price is said beside the field; a right one is stored in fen.
  await page.waitForSelector('[data-shop="ice"]');
  await page.fill('#item-code', 'cone');
  await page.fill('#item-name', '甜筒');
  await page.fill('#item-price', '十二');
  await page.click('#item-save');
  await waitText('[data-shop="ice"]', '价格格式不对');
  await page.fill('#item-price', '12.5');
  await page.click('#item-save');
  await page.waitForSelector('[data-price="cone"]');
  assert.is(await text('[data-price="cone"]'), '¥12.50');
  const items = (await api(cloud.url, '/api/v1/shops')).body.items.find((s: any) => s.code === 'ice').items;
  assert.equal(items, [{ code: 'cone', name: '甜筒', priceFen: 1250, active: true }]);
  // A price changed: the row clicked, the new price saved over it.
  await page.click('[data-price="cone"]');
  await page.fill('#item-price', '13');
  await page.click('#item-save');
  await waitText('[data-price="cone"]', '¥13.00');
  await page.fill('#item-code', 'wafer');
  await page.fill('#item-name', '华夫饼');
  await page.fill('#item-price', '18');
  await page.click('#item-save');
  await page.waitForSelector('[data-price="wafer"]');
  await shot('shops');
});

test('储物柜: set up, assigned to a band at the screen, released; the deposit held and given back', async () => {
  const w = (await api(cloud.url, '/api/v1/wallets', { body: { bandUid: 'C1C2C3C4', depositFen: 3000, topUpFen: 5000, method: 'cash' }, headers: { 'Idempotency-Key': 'lockers-1' } })).body;
  await page.goto(`${cloud.url}/#/system/lockers`);
  await page.waitForSelector('#locker-summary');
  await page.fill('#locker-code', 'A01');
  await page.fill('#locker-fee', '20');
  await page.click('#locker-save');
  await page.waitForSelector('[data-state="A01"]');
  await page.fill('#locker-code', 'A02');
  await page.click('#locker-hourly');
  await page.fill('#locker-fee', '5');
  await page.click('#locker-save');
  await page.waitForSelector('[data-state="A02"]');
  await waitText('#locker-summary', '共 2 个：使用中 0，空闲 2');
  assert.match(await text('.lockers'), '计时 ¥5.00/小时');

  await page.click('[data-assign="A01"]');
  await page.fill('[data-assign-band]', 'c1c2c3c4');
  await page.click('[data-assign-ok]');
  await waitText('[data-band="A01"]', 'C1C2C3C4');
  assert.is(await text('[data-state="A01"]'), '使用中');
  await waitText('#locker-summary', '使用中 1，空闲 1');
  assert.is((await api(cloud.url, `/api/v1/wallets/${w.id}`)).body.balanceFen, 3000, 'the deposit is held from the balance');
  const held = (await api(cloud.url, '/api/v1/lockers')).body.items.find((l: any) => l.code === 'A01');
  assert.is(held.walletId, w.id);

  // A band that was never issued: said at the screen, nothing assigned.
  await page.click('[data-assign="A02"]');
  await page.fill('[data-assign-band]', 'DEADBEEF');
  await page.click('[data-assign-ok]');
  await page.waitForSelector('.lockers [data-error]');
  assert.match(await text('.lockers [data-error]'), '腕带未发放');
  await shot('lockers');

  await page.click('[data-release="A01"]');
  await waitText('[data-state="A01"]', '空闲');
  assert.is((await api(cloud.url, `/api/v1/wallets/${w.id}`)).body.balanceFen, 5000, 'the deposit is back on the balance');
  await page.click('[data-state="A01"]');
  assert.is(await page.inputValue('#locker-code'), 'A01', 'a row clicked fills the set-up form');
});

test.run();
