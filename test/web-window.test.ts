import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startBrowserWithBridge } from './support/browser.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { ANNUAL_MEMBER, must, seedOffice } from './support/office.ts';
import { ticketCodesPrinted } from './support/zbar.ts';

/**
 * The window's after-sale and member screens in real Chromium against a real HQ and print
 * bridge, as a seller uses them: a group's places reserved, then paid and issued under 退改签
 * (with change, and the Chinese message when too little cash is typed); a lost ticket
 * reissued (the old one revoked, the new one printed); a ticket extended (a reason asked
 * first); a member card issued (the fields a newcomer leaves empty or gets wrong named in
 * Chinese beside them), renewed at the price shown, reissued after loss.
 */
const cloud = await startTestCloud();
const office = await seedOffice(cloud.url);
const seller = office.sellers[0]!;
must(await api(cloud.url, '/api/v1/ticket-types', { body: ANNUAL_MEMBER }), 201);
const browser = await startBrowserWithBridge(cloud.url);
const { printer } = browser;
const page = browser.page;

test.after(async () => {
  await browser.close();
  await cloud.cleanup();
});

const text = async (sel: string) => (await page.textContent(sel))?.replace(/\s+/g, ' ').trim() ?? '';
const asSeller = (path: string) => api(cloud.url, path, { token: seller.token });

const printedCodes = (from: number) => ticketCodesPrinted(printer, from);

async function pick(selectId: string, option: string) {
  await page.click(`.el-select:has(#${selectId})`);
  await page.click(`.el-select-dropdown__item:visible:has-text("${option}")`);
}

let orderId = '';

test('a group\'s places are reserved with F10, found under 退改签 by status, and paid and issued with change', async () => {
  await page.goto(`${cloud.url}/#/login`);
  await page.fill('#login-username', seller.username);
  await page.fill('#login-password', `${seller.username}-password`);
  await page.click('#login-submit');
  await page.waitForSelector('[data-who]');
  await page.fill('#shift-float', '200');
  await page.click('#shift-open');
  await page.waitForSelector('button.type[data-type="adult"]');
  await page.keyboard.type('10');
  await page.keyboard.press('F1');
  await page.waitForSelector('[data-total]:has-text("1200.00")');
  const jobs0 = printer.jobs.length;
  await page.keyboard.press('F10');
  await page.waitForSelector('[data-last-sale]:has-text("已预留")');
  assert.is(printer.jobs.length, jobs0, 'nothing printed for a reservation');

  await page.click('[data-menu="/window/orders"]');
  await pick('orders-status', '已预留');
  await page.waitForSelector('[data-orders] .el-table__row:has-text("1200.00")');
  assert.is(await page.$$eval('[data-orders] .el-table__row', (rows) => rows.length), 1, 'only the reservation is listed');
  await page.click('[data-orders] .el-table__row:has-text("1200.00")');
  await page.waitForSelector('[data-order-detail]:has-text("团队预留")');
  assert.match(await text('[data-tickets]'), '成人票×10：收款出票后才有票');
  await page.click('[data-order-detail] button:has-text("出票收款")');
  assert.is(await text('[data-issue-total]'), '¥1200.00');
  await page.fill('#issue-tendered', '1000');
  await page.click('#act-confirm');
  await page.waitForSelector('.el-dialog .el-form-item__error:has-text("收到的现金少于应收 ¥1200.00")');
  await page.fill('#issue-tendered', '1300');
  await page.waitForSelector('[data-issue-change]:has-text("¥100.00")');
  await page.click('#act-confirm');
  await page.waitForSelector('[data-order-detail]:has-text("已出票")');
  await waitFor('ten tickets printed', () => printer.jobs.length - jobs0 >= 10 || undefined, 20_000, 200);
  const orders = must(await asSeller(`/api/v1/orders?seller=${seller.id}&status=issued`), 200);
  assert.is(orders.items.length, 1);
  orderId = orders.items[0].id;
  assert.is(orders.items[0].paidFen, 120000);
  assert.is((await printedCodes(jobs0)).length, 10);

  // An empty search says so.
  await page.fill('#orders-q', 'zzzz');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-orders]:has-text("没有符合条件的订单")');
  await page.fill('#orders-q', '');
  await pick('orders-status', '全部状态');
  await page.click(`[data-orders] .el-table__row:has-text("1200.00")`);
  await page.waitForSelector('[data-order-detail]:has-text("已出票")');
});

test('a lost ticket is reissued: the old one is revoked, the new one printed', async () => {
  const order = must(await asSeller(`/api/v1/orders/${orderId}`), 200);
  const old = order.lines[0].tickets[0];
  const jobs0 = printer.jobs.length;
  await page.click('[data-tickets] .el-table__body .el-table__row:nth-child(1) .el-checkbox');
  await page.click('[data-order-detail] button:has-text("挂失补票")');
  await page.click('#act-confirm');
  await page.waitForSelector('.el-message:has-text("已补 1 张票")');
  await waitFor('the new ticket printed', () => printer.jobs.length > jobs0 || undefined, 10_000, 200);
  const [code] = await printedCodes(jobs0);
  assert.ok(code && code !== old.code, 'a new code is printed');
  const was = must(await asSeller(`/api/v1/tickets/${old.id}`), 200);
  assert.is(was.revokedReason, 'reissued');
  await page.waitForSelector('[data-tickets] .el-table__row:nth-child(1):has-text("已作废（已补票）")');
});

test('a ticket is extended: the reason is asked first, then the new end is said and the ticket printed again', async () => {
  const order = must(await asSeller(`/api/v1/orders/${orderId}`), 200);
  const ticket = order.lines[0].tickets[1];
  await page.click('[data-tickets] .el-table__body .el-table__row:nth-child(2) .el-checkbox');
  await page.click('[data-order-detail] button:has-text("延期")');
  await page.click('#act-confirm');
  await page.waitForSelector('.el-dialog .el-form-item__error:has-text("请填写原因")');
  await page.fill('#act-reason', '暴雨闭园，改日再来');
  await page.click('.el-dialog .el-input-number__increase');
  const jobs0 = printer.jobs.length;
  await page.click('#act-confirm');
  await page.waitForSelector('.el-message:has-text("已延期 1 张票")');
  const after = must(await asSeller(`/api/v1/orders/${orderId}`), 200).lines[0].tickets[1];
  assert.is(Date.parse(after.validUntil) - Date.parse(ticket.validUntil), 2 * 86_400_000, 'two days later');
  await waitFor('printed again', () => printer.jobs.length > jobs0 || undefined, 10_000, 200);
  assert.equal(await printedCodes(jobs0), [after.code], 'the newly signed code');
});

test('a member card: issued (what is missing or wrong is said beside its field), renewed at the price shown, reissued after loss', async () => {
  await page.click('[data-menu="/window/members"]');
  // A search for nobody says so.
  await page.click('#member-find');
  await page.waitForSelector('.el-form-item__error:has-text("请输入要查询的")');
  await page.fill('#member-query', '无此人');
  await page.click('#member-find');
  await page.waitForSelector('[data-members-none]:has-text("没有找到会员")');

  await page.click('.el-tabs__item:has-text("办卡")');
  await page.click('#card-issue');
  await page.waitForSelector('.el-form-item__error:has-text("请填写持卡人姓名")');
  assert.match(await text('.el-tab-pane:not([style*="display: none"]) form'), '选择会员票种');
  await page.fill('#card-name', '赵敏');
  await page.fill('#card-phone', '123456');
  await pick('card-type', '年卡');
  assert.is(await text('[data-issue-price]'), '¥300.00');
  await page.click('#card-issue');
  await page.waitForSelector('.el-form-item__error:has-text("手机号无效")');
  await page.fill('#card-phone', '13700001234');
  await page.click('#card-issue');
  await page.waitForSelector('.el-message:has-text("请收取 ¥300.00")');
  await page.waitForSelector('[data-card] [data-card-state]:has-text("有效")');
  assert.match(await text('[data-card]'), '年卡');
  assert.not.match(await text('[data-card]'), 'annual', 'the type by its name, not its code');
  const found = must(await asSeller('/api/v1/members?phone=13700001234'), 200);
  const cardNo = found[0].cards[0].cardNo as string;
  const expiry = found[0].cards[0].expiresOn as string;

  await page.click('#card-renew');
  await page.waitForSelector('[data-renew]:has-text("¥300.00")');
  // Paid by bank card: the slip number is asked for, then the payment is in the seller's records.
  await page.click('.el-dialog [data-pay="card"]');
  await page.click('#renew-confirm');
  await page.waitForSelector('.el-dialog .el-form-item__error:has-text("请填写凭证号")');
  await page.locator('#card-pay-ref:visible').fill('POS-5566');
  await page.click('#renew-confirm');
  await page.waitForSelector(`.el-message:has-text("到期日 ${expiry} →")`);
  const renewed = must(await asSeller(`/api/v1/members/cards/${cardNo}`), 200);
  assert.ok(renewed.expiresOn > expiry, `${renewed.expiresOn} after ${expiry}`);
  assert.match(await text('[data-card]'), renewed.expiresOn);
  const byCard = must(await asSeller(`/api/v1/payments?method=card&seller=${seller.id}`), 200).items;
  assert.ok(byCard.some((p: { amountFen: number; reference: string | null }) => p.amountFen === 30000 && p.reference === 'POS-5566'), JSON.stringify(byCard));

  await page.click('#card-reissue');
  await page.fill('#reissue-fee', '2o');
  await page.click('#reissue-confirm');
  await page.waitForSelector('.el-dialog .el-form-item__error:has-text("金额格式不对")');
  await page.fill('#reissue-fee', '20');
  await page.click('#reissue-confirm');
  await page.waitForSelector(`.el-message:has-text("原卡 ${cardNo} 已作废")`);
  const cards = must(await asSeller('/api/v1/members?phone=13700001234'), 200)[0].cards;
  assert.is(cards.length, 2);
  assert.equal(cards.map((c: { state: string }) => c.state).sort(), ['active', 'void']);

  // The holder's cards by phone: the old one shown void, in Chinese.
  await pick('member-by', '手机号');
  await page.fill('#member-query', '13700001234');
  await page.click('#member-find');
  await page.waitForSelector('[data-member-cards] .el-table__row:has-text("已作废")');
  assert.not.match(await text('[data-member-cards]'), 'void');
});

test('finance\'s screens show names, amounts and times, never raw JSON or codes', async () => {
  const acct = must(await api(cloud.url, '/api/v1/customer-accounts', { body: { name: '青旅国际旅行社', category: 'agency', creditLimitFen: 100000 } }), 201);
  must(await api(cloud.url, `/api/v1/customer-accounts/${acct.id}/entries`, { body: { ledger: 'deposit', amount: 50000, note: '预存款 转账' } }), 201);
  must(await api(cloud.url, '/api/v1/stock/batches', { body: { type: 'adult', prefix: 'TK', firstNumber: 1, count: 20 } }), 201);
  // Close the seller's shift so that its sealed report is there to read.
  const shift = must(await asSeller('/api/v1/shifts/current'), 200);
  must(await api(cloud.url, `/api/v1/shifts/${shift.id}/close`, { body: { counted: { cash: 140000 } }, token: seller.token }), 200);
  await page.click('#logout');
  await page.waitForSelector('#login-username');
  // Messages last 6-8 s; the seller's leave with the seller at once.
  await page.waitForSelector('.el-message', { state: 'detached', timeout: 1500 });
  await page.fill('#login-username', 'finance');
  await page.fill('#login-password', 'finance-password');
  await page.click('#login-submit');
  await page.waitForSelector('[data-who]');
  const CODES = /\{"|\b(agency|general|visitor|cash|card|on_account|issued|reissued|refunded|sold|in_store|void|annual|made|payment|refund|undefined|null|NaN|Asia\/Shanghai)\b|\d{1,2}\/\d{1,2}\/\d{4}/;
  const screens: [string, string][] = [
    ['/finance/shifts', '[data-shifts] .el-table__row'], ['/finance/payments', '[data-payments] .el-table__row'], ['/finance/accounts', '[data-accounts] .el-table__row'],
    ['/finance/stock', '[data-batches] .el-table__row'], ['/finance/audit', '[data-audit]'], ['/finance/reports', '[data-report] .el-table__row'],
  ];
  for (const [path, ready] of screens) {
    await page.click(`[data-menu="${path}"]`);
    await page.waitForSelector(ready);
    await page.waitForTimeout(300);
    const shown = await text('main');
    assert.not.match(shown, CODES, `${path}: ${shown.match(CODES)?.[0]} in ${shown.slice(0, 400)}`);
  }
  await page.click('[data-menu="/finance/accounts"]');
  await page.click('[data-accounts] .el-table__row:has-text("青旅")');
  await page.waitForSelector('main :text("预存款 转账")');
  assert.match(await text('[data-accounts]'), '旅行社');
  assert.not.match(await text('main'), CODES);
  await page.click('[data-menu="/finance/shifts"]');
  await page.click('[data-shifts] .el-table__row:has-text("seller1")');
  await page.waitForSelector('.el-dialog [data-shift-report]');
  const report = await text('.el-dialog [data-shift-report]');
  assert.not.match(report, CODES, report);
  assert.match(report, '¥1200.00');
  await page.keyboard.press('Escape');
  await page.waitForSelector('.el-dialog [data-shift-report]', { state: 'hidden' });
  await page.click('[data-menu="/finance/reports"]');
  await page.click('.el-select:has(#report-name)');
  await page.click('.el-select-dropdown__item:visible:has-text("票种销售")');
  await page.waitForSelector('[data-report] .el-table__row:has-text("散客")');
  const byType = await text('[data-report] .el-table__body');
  assert.not.match(byType.replace(/\b(adult|annual|child)\b/g, ''), CODES, 'only the code column holds codes');
});

test.run();
