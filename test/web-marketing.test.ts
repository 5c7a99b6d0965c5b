import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import { startBrowserWithBridge } from './support/browser.ts';
import { api, login as apiLogin, startTestCloud, waitFor } from './support/cloud.ts';
import { cash, must, seedOffice } from './support/office.ts';

/**
 * The marketing consoles in real Chromium against a real HQ, as marketing and a window seller
 * use them: marketing adds a travel agency and signs its contract (10 % off, ¥5,000 credit,
 * monthly); a seller sells to it on account at the window (the contract's price, the account
 * offered as the payment); marketing sees the order on the agency's statement and in the
 * performance chart; an ID-card sale at the window counts in visitor origin by itself; a
 * channel's key is shown once and rotated.
 */
const cloud = await startTestCloud();
const u = cloud.url;
const office = await seedOffice(u);
const seller = office.sellers[0]!;
must(await api(u, '/api/v1/users', { body: { username: 'mk', displayName: '市场小李', roles: ['marketing'], password: 'mk-password' } }), 201);
const browser = await startBrowserWithBridge(u);
const page = browser.page;

test.after(async () => {
  await browser.close();
  await cloud.cleanup();
});

async function login(p: Page, username: string, password: string) {
  await p.goto(`${u}/#/login`);
  if (await p.$('#logout')) await p.click('#logout');
  await p.fill('#login-username', username);
  await p.fill('#login-password', password);
  await p.click('#login-submit');
  await p.waitForSelector('[data-who]');
}
const text = async (sel: string) => (await page.textContent(sel))?.replace(/\s+/g, ' ').trim() ?? '';

/** A valid resident ID number (GB 11643 check digit) of a region code and birthday. */
function idNumber(region: string, birth: string, seq = '123'): string {
  const body = `${region}${birth}${seq}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((n, d, i) => n + Number(d) * w[i]!, 0);
  return body + '10X98765432'[sum % 11]!;
}

test('marketing adds an agency and signs its contract; the mistakes a newcomer makes are said beside the fields', async () => {
  await login(page, 'mk', 'mk-password');
  assert.match(await text('aside'), '旅行社与协议单位');
  await page.click('[data-menu="/marketing/customers"]');
  await page.click('#customer-new');
  await page.fill('#customer-code', 'CITS 北京');
  await page.fill('#customer-name', '中国国旅北京');
  await page.click('#customer-save');
  await page.waitForSelector('[data-customer-dialog] .el-form-item__error');
  await page.fill('#customer-code', 'cits');
  await page.click('#customer-save');
  await page.waitForSelector('[data-customer="cits"]');
  assert.match(await text('[data-customer="cits"]'), '签合同后自动开户');

  await page.click('#contract-new');
  await page.fill('#contract-discount', '10');
  await page.fill('#contract-credit', '五千');
  await page.click('#contract-save');
  await page.waitForSelector('[data-contract-dialog] .el-form-item__error:has-text("价格格式不对")');
  await page.fill('#contract-credit', '5000');
  await page.click('#contract-save');
  await page.waitForSelector('[data-contracts] :text("生效中")');
  assert.match(await text('[data-contracts]'), '优惠 10%，额度 ¥5000.00，月结（30 天内付清）', await text('[data-contracts]'));
  assert.match(await text('[data-account]'), '¥5000.00');
});

test('a seller sells to the agency on account at the window; marketing sees it on the statement and the performance chart', async () => {
  await login(page, seller.username, `${seller.username}-password`);
  await page.fill('#shift-float', '200');
  await page.click('#shift-open');
  await page.waitForSelector('button.type[data-type="adult"]');
  await page.click('.el-select:has(#sell-account)');
  await page.click('.el-select-dropdown__item:visible:has-text("中国国旅北京")');
  await page.click('button.type[data-type="adult"]');
  await page.click('button.type[data-type="adult"]');
  // The contract's price: 2 x 120 less 10 %.
  await page.waitForSelector('[data-total]:has-text("216.00")');
  await page.click('#sell-pay');
  assert.match(await text('[data-pay-method="0"]'), '挂账', 'the account is the payment offered first');
  await page.click('#sell-confirm');
  await page.waitForSelector('[data-printed]');

  // An ID-card holder from Beijing (110101) at the same window: counted in visitor origin by itself.
  const token = await apiLogin(u, seller.username, `${seller.username}-password`);
  must(await api(u, '/api/v1/orders', { token, body: { lines: [{ type: 'adult', quantity: 1, group: 'each', idcards: [idNumber('110101', '19900307')] }], payments: [cash(12000)] } }), 201);

  await login(page, 'mk', 'mk-password');
  await page.click('[data-menu="/marketing/customers"]');
  await page.click('[data-customers] .el-table__row:has-text("cits")');
  await page.waitForSelector('[data-statement] .el-table__row');
  const stmt = await text('[data-statement]');
  assert.match(stmt, '窗口');
  assert.match(stmt, '¥216.00');
  assert.match(await text('[data-credit]'), /本期挂账\s*¥216\.00/);
  assert.match(await text('[data-statement-totals]'), '共 1 单，¥216.00');
  assert.match(await text('[data-account]'), '¥4784.00', 'available credit after the sale');

  await page.click('[data-menu="/marketing/performance"]');
  await page.waitForSelector('[data-performance] .el-table__row');
  assert.match(await text('[data-performance]'), '中国国旅北京');
  assert.ok(await page.$('[data-chart] canvas'), 'the chart is drawn');

  await page.click('[data-menu="/marketing/origin"]');
  await page.waitForSelector('[data-provinces] .el-table__row');
  assert.match(await text('[data-provinces]'), '北京市');
  assert.match(await text('[data-origin-total]'), '共 1 位游客');
  assert.match(await text('.page'), '身份证购票 1');
});

test('a channel is added with its key shown once; rotating gives a new key and the old one is refused', async () => {
  await page.click('[data-menu="/marketing/channels"]');
  await page.click('#channel-new');
  await page.fill('#channel-code', 'ctrip');
  await page.fill('#channel-name', '携程');
  await page.click('#channel-save');
  await page.waitForSelector('[data-api-key]');
  assert.match(await text('[data-key-dialog]'), '密钥只显示这一次');
  const first = await text('[data-api-key]');
  await page.click('[data-key-dialog] .el-dialog__footer .el-button');
  await page.click('[data-edit-channel="ctrip"]');
  await page.fill('input[data-price="adult"], [data-price="adult"] input', '99');
  await page.fill('#edit-quota', '300');
  await page.click('#prices-save');
  await page.waitForSelector('[data-channels] .el-table__row:has-text("300")');
  const products = must(await api(u, '/api/v1/channels/products', { headers: { 'x-channel-key': first }, token: null }), 200);
  assert.ok(JSON.stringify(products).includes('9900'), 'the channel sees its price');

  await page.click('[data-rotate="ctrip"]');
  await page.click('.el-message-box .el-button--primary');
  await page.waitForSelector('[data-key-dialog]:visible [data-api-key]');
  const second = await text('[data-api-key]');
  assert.is.not(second, first);
  await waitFor('the old key refused', async () => (await api(u, '/api/v1/channels/products', { headers: { 'x-channel-key': first }, token: null })).status === 401 || undefined);
  must(await api(u, '/api/v1/channels/products', { headers: { 'x-channel-key': second }, token: null }), 200);
});

test.run();
