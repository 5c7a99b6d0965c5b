import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBrowser } from './support/browser.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { must } from './support/office.ts';
import { today } from './support/channel.ts';
import { addDays } from '../shared/time/zone.ts';

/**
 * The 渠道通知 tab of the marketing console in real Chromium: marketing gives a channel its notice
 * address (HQ makes the signing secret and shows it once), sees the price calendar delivered
 * day by day, a cancel the channel's server would not take shown as waiting with its error and
 * next try, and sends it again by hand once the server is back.
 */
const cloud = await startTestCloud({ noticeIntervalMs: 100, calendarIntervalMs: 300, noticeRetryMinutes: 60 });
const u = cloud.url;
must(await api(u, '/api/v1/users', { body: { username: 'mk', displayName: '市场小李', roles: ['marketing'], password: 'mk-password' } }), 201);
must(await api(u, '/api/v1/ticket-types', { body: { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 } }), 201);
const made = must(await api(u, '/api/v1/channels/admin', { body: { code: 'ctrip', name: '携程', kind: 'ota', cancelCutoffMinutes: 0, maxDaysAhead: 3 } }), 201);
must(await api(u, '/api/v1/channels/admin/ctrip/prices', { method: 'PUT', body: { prices: [{ type: 'adult', priceFen: 9800 }] } }), 200);
const key = made.apiKey as string;

// The channel's server: takes notices while up, answers 503 while down.
let up = true;
const got: any[] = [];
const rx: Server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    if (!up) return void res.writeHead(503).end('busy');
    got.push(JSON.parse(body));
    res.writeHead(200).end('{}');
  });
});
await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
const rxUrl = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/notify`;

const browser = await startBrowser();
const page = browser.page;
test.after(async () => {
  await browser.close();
  await cloud.cleanup();
  rx.closeAllConnections();
  await new Promise((r) => rx.close(r));
});
const text = async (sel: string) => (await page.textContent(sel))?.replace(/\s+/g, ' ').trim() ?? '';
const channelCall = (path: string, body: unknown, idem: string) => fetch(`${u}/api/v1/channels${path}`, {
  method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': key, 'Idempotency-Key': idem }, body: JSON.stringify(body),
});

test('marketing sets the notice address, sees the calendar delivered, and re-sends a cancel the channel missed', async () => {
  await page.goto(`${u}/#/login`);
  await page.fill('#login-username', 'mk');
  await page.fill('#login-password', 'mk-password');
  await page.click('#login-submit');
  await page.waitForSelector('[data-who]');
  await page.click('[data-menu="/marketing/channels"]');
  await page.click('.el-tabs__item:has-text("渠道通知")');
  await page.waitForSelector('[data-no-webhook]');
  assert.match(await text('[data-no-webhook]'), '还没有通知地址');

  await page.fill('#webhook-url', rxUrl);
  await page.click('#webhook-save');
  await page.waitForSelector('[data-webhook-secret]');
  assert.match(await text('[data-webhook-secret]'), '只显示这一次');
  assert.is(await page.$('[data-no-webhook]'), null);

  // Today and the 3 days ahead the channel may sell, each delivered.
  await waitFor('the calendar delivered', () => got.filter((n) => n.event === 'calendar.changed').length === 4, 15_000);
  await page.click('#notices-refresh');
  await page.waitForFunction(`document.querySelectorAll('[data-notices] [data-notice-state="delivered"]').length === 4`);
  assert.match(await text('[data-notices]'), '价格日历');
  assert.match(await text('[data-notices]'), `${today()}；成人票 ¥98.00`);

  // A booking paid, then cancelled by the channel while its server is down.
  const day = addDays(today(), 1);
  const b = await (await channelCall('/bookings', { visitDay: day, items: [{ type: 'adult', quantity: 2 }], contact: { name: '游客', phone: '13900000000' } }, 'b1')).json() as any;
  assert.is((await channelCall(`/bookings/${b.orderNo}/pay`, { amountFen: b.totalFen, paymentRef: 'P1' }, 'p1')).status, 200);
  up = false;
  assert.is((await channelCall(`/bookings/${b.orderNo}/cancel`, { reason: '行程变更' }, 'c1')).status, 200);
  await waitFor('the cancel tried', async () => (await api(u, '/api/v1/channels/admin/ctrip/notices?state=pending')).body.items.some((n: any) => n.kind === 'cancelled' && n.attempts === 1) || undefined, 15_000);
  await page.click('#notices-refresh');
  const row = page.locator('[data-notices] .el-table__row', { has: page.locator('[data-notice-kind="cancelled"]') });
  await row.waitFor();
  const line = (await row.innerText()).replace(/\s+/g, ' ');
  assert.match(line, '取消');
  assert.match(line, b.orderNo);
  assert.match(line, '退款 ¥196.00');
  assert.match(line, '待发送');
  assert.match(line, 'HTTP 503');
  assert.match(line, '下次');
  await page.waitForTimeout(500); // the tags' fade-in
  await page.screenshot({ path: new URL('../docs/console-marketing-notices.png', import.meta.url).pathname });

  // The channel's server is back; marketing sends it again rather than wait an hour.
  up = true;
  await row.locator('[data-retry]').click();
  await waitFor('the cancel delivered', () => got.some((n) => n.event === 'booking.cancelled') || undefined, 10_000);
  assert.equal(got.filter((n) => n.event === 'booking.cancelled').map((n) => [n.orderNo, n.refundFen]), [[b.orderNo, 19600]]);
  await page.click('#notices-refresh');
  await page.waitForSelector('[data-notices] .el-table__row:has([data-notice-kind="cancelled"]) [data-notice-state="delivered"]');
});

test.run();
