import { test } from 'uvu';

// Page functions run in the browser: its document, not Node's.
declare const document: any;
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startTestPos, type TestPos } from '../edge/pos/testing/pos.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { provision } from './support/provision.ts';

// A cashier at the POS touch page, in headless Chromium (Debian's, never a download), against
// a real POS agent and a real HQ on loopback.
const cloud = await startTestCloud();
await provision(cloud.url, 'demo', [{ device: 'pos-1', role: 'pos' }]);
const profile = mkdtempSync(join(tmpdir(), 'tk-chromium-'));
let pos: TestPos;
let context: BrowserContext;
let page: Page;
let walletId = '';

test.before(async () => {
  await api(cloud.url, '/api/v1/shops/snack', { method: 'PUT', body: { name: '小吃部' } });
  await api(cloud.url, '/api/v1/shops/snack/items/cola', { method: 'PUT', body: { name: '可乐', priceFen: 500 } });
  await api(cloud.url, '/api/v1/shops/snack/items/noodles', { method: 'PUT', body: { name: '牛肉面', priceFen: 2800 } });
  walletId = (await api(cloud.url, '/api/v1/wallets', { body: { bandUid: '0A0B0C0D', depositFen: 3000, topUpFen: 4000 }, headers: { 'Idempotency-Key': 'page-band' } })).body.id;
  pos = await startTestPos({ cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, supervisorPinSha256: createHash('sha256').update('1357').digest('hex') });
  await waitFor('band at the till', () => pos.agent.store.walletCount() === 1 && pos.agent.store.items().length === 2);
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    viewport: { width: 1280, height: 800 },
  });
  page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(15_000);
});

test.after(async () => {
  await context?.close();
  await pos?.stop();
  await cloud.cleanup();
  rmSync(profile, { recursive: true, force: true });
});

test('the cashier taps items, the band pays, the balance left shows; a refund needs the PIN', async () => {
  await page.goto(pos.agent.url + '/');
  await page.waitForSelector('#items button[data-code="cola"]');
  await page.waitForFunction(() => document.getElementById('link')!.textContent === '在线');
  await page.fill('#band', '0a0b0c0d');
  await page.dispatchEvent('#band', 'change');
  await page.waitForFunction(() => document.getElementById('band-info')!.textContent!.includes('¥40.00'));
  await page.click('#items button[data-code="cola"]');
  await page.click('#items button[data-code="cola"]');
  await page.click('#items button[data-code="noodles"]');
  assert.is(await page.textContent('#total'), '¥38.00');
  await page.click('#charge');
  await page.waitForSelector('#message.ok');
  assert.is(await page.textContent('#message'), '收款 ¥38.00，余额 ¥2.00');
  assert.is(await page.textContent('#total'), '¥0.00', 'the cart is cleared');

  // Not enough left: a clear refusal, nothing charged.
  await page.click('#items button[data-code="cola"]');
  await page.click('#charge');
  await page.waitForSelector('#message.error');
  assert.is(await page.getAttribute('#message', 'data-code'), 'insufficient_balance');
  assert.is(await page.textContent('#message'), '余额不足，请到服务台充值');

  // Refund of the charge: a wrong PIN is refused, the right one gives the money back.
  await page.click('#refund-box summary');
  await page.fill('#pin', '0000');
  await page.click('#refund');
  await page.waitForFunction(() => document.getElementById('message')!.dataset.code === 'supervisor_required');
  await page.fill('#pin', '1357');
  await page.click('#refund');
  await page.waitForFunction(() => document.getElementById('message')!.textContent!.startsWith('已退款'));
  assert.is(await page.textContent('#message'), '已退款 ¥38.00，余额 ¥40.00');

  // HQ has the charge and its refund, once each.
  await waitFor('outbox drained', () => pos.agent.store.outboxSize() === 0);
  const w = (await api(cloud.url, `/api/v1/wallets/${walletId}`)).body;
  assert.is(w.balanceFen, 4000);
  assert.equal(w.charges.map((c: any) => [c.amountFen, c.voidOf !== null]), [[3800, false], [3800, true]]);
});

test.run();
