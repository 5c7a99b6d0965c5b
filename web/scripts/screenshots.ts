/**
 * `npm run screenshots:web`: the main screens of the back office at 1366x768, as a new seller
 * and a finance clerk see them, into docs/back-office-*.png (shown in the README). A throwaway
 * HQ (PGlite) is seeded with a small day: ticket types, sellers, a customer account, stock,
 * an online booking, sales, a refund and two closed shifts (one with a difference).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { bookingChannel } from '../../test/support/channel.ts';
import { PrintBridge } from '../../edge/print-bridge/bridge.ts';
import { parseBridgeConfig } from '../../edge/print-bridge/config.ts';
import { startBrowser } from '../../test/support/browser.ts';
import { api, login, startTestCloud } from '../../test/support/cloud.ts';
import { cash, must } from '../../test/support/office.ts';
import { buildWeb } from './build.ts';

const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
mkdirSync(docs, { recursive: true });
await buildWeb({ quiet: true });
const cloud = await startTestCloud();
const u = cloud.url;
const admin = (path: string, body?: unknown, method?: string) => api(u, path, { body, method });

for (const t of [
  { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1, saleMethods: ['print', 'barcode_activation', 'card_issue', 'id_binding'] },
  { code: 'child', name: '儿童票', priceFen: 6000, validityDays: 1, entries: 1, persons: 1 },
  { code: 'senior', name: '老年票', priceFen: 6000, validityDays: 1, entries: 1, persons: 1, saleMethods: ['print', 'id_binding'] },
  { code: 'student', name: '学生票', priceFen: 8000, validityDays: 1, entries: 1, persons: 1 },
  { code: 'night', name: '夜场票', priceFen: 9000, validityDays: 1, entries: 1, persons: 1 },
  { code: 'group10', name: '团队票(10人)', priceFen: 100000, validityDays: 1, entries: 1, persons: 10, category: 'group' },
  { code: 'annual', name: '年卡', priceFen: 30000, validityDays: 365, entries: 0, persons: 1, category: 'member', rules: { kind: 'member' } },
]) must(await admin('/api/v1/ticket-types', t), 201);
must(await admin('/api/v1/discounts', { code: 'minus10', name: '立减10元', kind: 'fixed', value: 1000 }), 201);
must(await admin('/api/v1/discounts', { code: 'half', name: '半价', kind: 'percent', value: 50 }), 201);
const sellers: { id: string; token: string; name: string }[] = [];
for (const [username, displayName] of [['wangxl', '王小丽'], ['zhangw', '张伟']] as const) {
  const s = must(await admin('/api/v1/users', { username, displayName, roles: ['seller'], permissions: ['refund'], password: `${username}-password` }), 201);
  must(await admin(`/api/v1/sellers/${s.id}/grants`, { types: ['adult', 'child', 'senior', 'student', 'night', 'group10'], discounts: ['minus10', 'half'] }, 'PUT'), 200);
  sellers.push({ id: s.id, token: await login(u, username, `${username}-password`), name: displayName });
}
must(await admin('/api/v1/users', { username: 'lijing', displayName: '李静', roles: ['finance'], password: 'lijing-password' }), 201);
const agency = must(await admin('/api/v1/customer-accounts', { name: '青旅国际旅行社', category: 'agency', creditLimitFen: 5_000_000 }), 201);
must(await admin('/api/v1/customer-accounts', { name: '市第一中学', category: 'school', creditLimitFen: 1_000_000 }), 201);
must(await admin(`/api/v1/customer-accounts/${agency.id}/entries`, { ledger: 'deposit', amount: 2_000_000, note: '预存款 转账' }), 201);
const batch = must(await admin('/api/v1/stock/batches', { type: 'adult', prefix: 'TK', firstNumber: 1, count: 200 }), 201);
const serials = Array.from({ length: 120 }, (_, i) => `TK${String(i + 1).padStart(8, '0')}`);
must(await admin('/api/v1/stock/receive', { serials }), 200);
must(await admin('/api/v1/stock/issue', { serials: serials.slice(0, 50), to: sellers[0]!.id }), 200);
void batch;

// Zhang Wei's shift: sales and a refund, closed 20 yuan short.
const z = sellers[1]!;
const as = (s: { token: string }, path: string, body?: unknown) => api(u, path, { body, token: s.token });
must(await as(z, '/api/v1/shifts', { floatFen: 50000 }), 201);
for (const [lines, pays] of [
  [[{ type: 'adult', quantity: 2 }, { type: 'child', quantity: 1 }], [cash(30000, 30000)]],
  [[{ type: 'senior', quantity: 2 }], [{ method: 'card', amountFen: 12000, reference: 'POS-100231' }]],
  [[{ type: 'student', quantity: 5, discount: 'half' }], [cash(20000, 20000)]],
] as const) must(await as(z, '/api/v1/orders', { lines, payments: pays }), 201);
const refundable = must(await as(z, '/api/v1/orders', { lines: [{ type: 'adult', quantity: 2 }], payments: [cash(24000, 30000)] }), 201);
must(await as(z, `/api/v1/orders/${refundable.id}/refunds`, { tickets: [refundable.lines[0].tickets[0].id], method: 'cash', reason: '游客临时不去' }), 201);
const zs = must(await as(z, '/api/v1/shifts/current'), 200);
// Counted 20 yuan short of float + cash taken - cash refunded.
must(await as(z, `/api/v1/shifts/${zs.id}/close`, { counted: { cash: 50000 + 30000 + 20000 + 24000 - 12000 - 2000, card: 12000 } }), 200);
// An agency's group on account.
const w = sellers[0]!;
must(await as(w, '/api/v1/shifts', { floatFen: 50000 }), 201);
must(await as(w, '/api/v1/orders', { lines: [{ type: 'group10', quantity: 2 }], payments: [{ method: 'on_account', amountFen: 200000 }], account: agency.id }), 201);
const channel = await bookingChannel(u, 'ctrip');
const booking = await channel.book({ name: '陈晨', phone: '13912345678' }, [{ type: 'adult', quantity: 2 }, { type: 'child', quantity: 1 }]);

const bridge = new PrintBridge(parseBridgeConfig({ printer: { driver: 'sim' }, http: { port: 0 }, allowOrigins: [u] }));
await bridge.start();
const browser = await startBrowser({ init: `localStorage.setItem('tk.printer', JSON.stringify({ mode: 'bridge', bridgeUrl: '${bridge.url}' }))` });
const page = browser.page;
const shot = async (name: string) => {
  await page.waitForTimeout(600);
  await page.screenshot({ path: join(docs, `back-office-${name}.png`) });
  process.stdout.write(`docs/back-office-${name}.png\n`);
};
async function signIn(p: Page, username: string, password: string) {
  await p.goto(`${u}/#/login`);
  await p.fill('#login-username', username);
  await p.fill('#login-password', password);
  await p.click('#login-submit');
  await p.waitForSelector('[data-who]');
}

try {
  await page.goto(`${u}/#/login`);
  await page.fill('#login-username', 'wangxl');
  await shot('login');
  await signIn(page, 'wangxl', 'wangxl-password');
  await page.waitForSelector('button.type');
  await page.keyboard.type('2');
  await page.keyboard.press('F1');
  await page.keyboard.press('F2');
  await page.click('.el-select:has(#sell-discount)');
  await page.click('.el-select-dropdown__item:has-text("立减10元")');
  await page.click('button.type[data-type="senior"]');
  await page.waitForSelector('[data-total]:has-text("350.00")');
  await page.keyboard.press('Enter');
  await page.click('[data-add-pay="card"]');
  await page.fill('#pay-amount-0', '300');
  await page.fill('#pay-tendered-0', '300');
  await page.fill('#pay-amount-1', '50');
  await page.fill('#pay-reference-1', 'POS-100877');
  await shot('sell');
  await page.click('#sell-confirm');
  await page.waitForSelector('[data-printed]');
  await page.keyboard.type('2');
  await page.keyboard.press('F1');
  await page.keyboard.press('F2');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#pay-tendered-0:focus');
  await page.keyboard.type('400');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-last-sale]:has-text("100.00")');
  await shot('sell-change');

  await page.click('[data-menu="/window/pickup"]');
  await page.fill('#pickup-order', booking.orderNo);
  await page.fill('#pickup-phone', '13912345678');
  await page.click('#pickup-find');
  await page.waitForSelector(`[data-booking="${booking.orderNo}"]`);
  await shot('pickup');

  await page.click('[data-menu="/window/orders"]');
  await page.click('[data-orders] .el-table__row:has-text("350.00")');
  await page.click('[data-tickets] .el-table__row:has-text("老年票") .el-checkbox');
  await page.click('[data-act="refund"]');
  await page.fill('#act-reason', '老人证件不符，改买成人票');
  await shot('refund');
  await page.click('#act-confirm');
  await page.waitForSelector('[data-order-detail]:has-text("已退")');

  // The same order: one adult ticket extended, with its reason.
  await page.click('[data-tickets] .el-table__row:has-text("成人票") .el-checkbox');
  await page.click('[data-order-detail] button:has-text("延期")');
  await page.fill('#act-reason', '暴雨闭园，改日再来');
  await shot('extend');
  await page.click('#act-confirm');
  await page.waitForSelector('.el-message:has-text("已延期")');
  await page.waitForSelector('.el-message', { state: 'detached', timeout: 15_000 });

  // A school's group reserved (3 x 10 persons), then paid in cash and issued.
  await page.click('[data-menu="/window/sell"]');
  await page.waitForSelector('button.type');
  await page.keyboard.type('3');
  await page.keyboard.press('F6');
  await page.waitForSelector('[data-total]:has-text("3000.00")');
  await page.keyboard.press('F10');
  await page.waitForSelector('[data-last-sale]:has-text("已预留")');
  await page.click('[data-menu="/window/orders"]');
  await page.click('.el-select:has(#orders-status)');
  await page.click('.el-select-dropdown__item:visible:has-text("已预留")');
  await page.click('[data-orders] .el-table__row:has-text("3000.00")');
  await page.click('[data-order-detail] button:has-text("出票收款")');
  await page.fill('#issue-tendered', '3000');
  await shot('reservation');
  await page.click('#act-confirm');
  await page.waitForSelector('[data-order-detail]:has-text("已出票")');

  // Member cards: one issued, then renewed (the price asked first).
  await page.click('[data-menu="/window/members"]');
  await page.click('.el-tabs__item:has-text("办卡")');
  await page.fill('#card-name', '赵敏');
  await page.fill('#card-phone', '1370000123');
  await page.fill('#card-idnumber', '11010519491231002X');
  await page.click('.el-select:has(#card-type)');
  await page.click('.el-select-dropdown__item:visible:has-text("年卡")');
  await page.click('#card-issue');
  await page.waitForSelector('.el-form-item__error');
  await shot('member-issue');
  await page.fill('#card-phone', '13700001234');
  await page.click('#card-issue');
  await page.waitForSelector('[data-card]');
  await page.click('#card-renew');
  await page.waitForSelector('[data-renew]');
  await shot('members');
  await page.click('#renew-confirm');
  await page.waitForSelector('.el-message:has-text("已续费")');
  await page.waitForSelector('.el-message', { state: 'detached', timeout: 15_000 });

  await page.click('[data-menu="/window/shift"]');
  await page.fill('#count-cash', '4650');
  await page.fill('#count-card', '50');
  await page.click('#shift-close');
  await page.waitForSelector('[data-closed] [data-shift-report]');
  await shot('shift-close');
  await page.click('#logout');

  await signIn(page, 'lijing', 'lijing-password');
  await page.click('[data-menu="/finance/shifts"]');
  await page.waitForSelector('[data-shifts] .el-table__row');
  await shot('finance-shifts');
  await page.click('[data-shifts] .el-table__row:has-text("张伟")');
  await page.waitForSelector('.el-dialog [data-shift-report]');
  await shot('finance-shift-report');
  await page.keyboard.press('Escape');
  await page.click('[data-menu="/finance/payments"]');
  await page.waitForSelector('[data-payments] .el-table__row');
  await shot('finance-payments');
  await page.click('[data-menu="/finance/reconciliation"]');
  await page.waitForSelector('[data-rec]');
  await shot('finance-reconciliation');
  await page.click('[data-menu="/finance/accounts"]');
  await page.click('[data-accounts] .el-table__row:has-text("青旅")');
  await shot('finance-accounts');
  await page.click('[data-menu="/finance/stock"]');
  await page.click('[data-batches] .el-table__row');
  await shot('finance-stock');
  await page.click('[data-menu="/finance/audit"]');
  await page.waitForSelector('[data-audit]');
  await shot('finance-audit');
  await page.click('[data-menu="/finance/reports"]');
  await page.click('.el-select:has(#report-name)');
  await page.click('.el-select-dropdown__item:has-text("票种销售")');
  await page.waitForSelector('[data-chart]');
  await shot('finance-reports');
} finally {
  await browser.close();
  await bridge.stop();
  await cloud.cleanup();
}
