/**
 * The supervisor's and marketing's screens (docs/console-*.png, shown in the README): the live
 * site on a 1920x1080 wall screen and on a phone, with two real gate agents reporting to a
 * throwaway HQ (PGlite), a morning of entries and sales, one gate closed and one alarm; then
 * the catalog (a weekend price previewed, capacity by day, seller grants), a lane's rules with
 * explain, the audit log, users, device provisioning with its setup QR, the print template
 * designer; then marketing's consoles (an agency's contract and statement after a sale on its
 * account, guides, performance, members, channels, visitor origin).
 * Run by `npm run screenshots:web` after the window and finance screens.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { recordRefusals } from '../../cloud/devices/service.ts';
import { startBrowser } from '../../test/support/browser.ts';
import { api, startTestCloud, TEST_ADMIN_PASSWORD, waitFor } from '../../test/support/cloud.ts';
import { startTestGate, type TestGate } from '../../test/support/gate.ts';
import { must } from '../../test/support/office.ts';
import { provision } from '../../test/support/provision.ts';
import { buildWeb } from './build.ts';

const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
mkdirSync(docs, { recursive: true });
await buildWeb({ quiet: true });
const cloud = await startTestCloud();
const u = cloud.url;
const admin = (path: string, body?: unknown, method?: string) => api(u, path, { body, method });
const gates: TestGate[] = [];
const browser = await startBrowser({ viewport: { width: 1920, height: 1080 } });
const page = browser.page;
const shot = async (name: string) => {
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(docs, `console-${name}.png`) });
  process.stdout.write(`docs/console-${name}.png\n`);
};
async function signIn(p: Page, username: string, password: string) {
  await p.goto(`${u}/#/login`);
  await p.fill('#login-username', username);
  await p.fill('#login-password', password);
  await p.click('#login-submit');
  await p.waitForSelector('[data-who]');
}

try {
  for (const t of [
    { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 },
    { code: 'child', name: '儿童票', priceFen: 6000, validityDays: 1, entries: 1, persons: 1 },
  ]) must(await admin('/api/v1/ticket-types', t), 201);
  must(await admin('/api/v1/sites/demo/venues/water', { name: '水上乐园' }, 'PUT'), 200);
  must(await admin('/api/v1/sites/demo/lanes/east-1', { directions: ['in', 'out'] }, 'PUT'), 200);
  must(await admin('/api/v1/sites/demo/lanes/water-1', { venue: 'water' }, 'PUT'), 200);
  const spec = [['gate-e1', 'east-1', '东门1号'], ['gate-e2', 'east-2', '东门2号'], ['gate-w1', 'west-1', '西门1号'], ['gate-s1', 'water-1', '水上乐园入口']] as const;
  await provision(u, 'demo', spec.map(([device, lane]) => ({ device, lanes: [lane] })));
  for (const [device, lane, name] of spec) must(await admin(`/api/v1/sites/demo/devices/${device}`, { role: 'gate', lanes: [lane], name }, 'PUT'), 200);
  await provision(u, 'demo', [{ device: 'kiosk-1', role: 'kiosk' }]);
  for (const [device, lane] of spec.slice(0, 3)) gates.push(await startTestGate({ device, lane, cloudUrl: u, mqttUrl: cloud.mqttUrl }));
  must(await admin('/api/v1/users', { username: 'zhaomin', displayName: '赵敏', roles: ['supervisor'], password: 'zhaomin-password' }), 201);
  must(await admin('/api/v1/users', { username: 'wangxl', displayName: '王小丽', roles: ['seller'], permissions: ['refund'], password: 'wangxl-password' }), 201);
  must(await admin('/api/v1/users', { username: 'lijing', displayName: '李静', roles: ['marketing'], password: 'lijing-password' }), 201);

  const sale = must(await admin('/api/v1/sales', { type: 'adult', quantity: 12 }), 201);
  must(await admin('/api/v1/sales', { type: 'child', quantity: 5 }), 201);
  const codes: string[] = sale.tickets.map((x: { code: string }) => x.code);
  await waitFor('tickets at the gates', () => gates.every((g) => g.agent.evaluate(codes[0]!).verdict.admit) || undefined, 15_000, 100);
  for (const [i, c] of codes.entries()) await gates[i % 3]!.agent.present(c);
  for (const c of codes.slice(0, 3)) await gates[0]!.agent.present(c, { direction: 'out' });
  await gates[1]!.agent.present(codes[1]!);
  must(await admin('/api/v1/sites/demo/devices/gate-w1/mode', { mode: 'closed', reason: '西门检修' }, 'PUT'), 200);
  await recordRefusals(cloud.ctx!.db, 'demo', 'gate-e2', 'entry', 3, { reason: 'foreign_lane', at: Date.now() });

  await signIn(page, 'zhaomin', 'zhaomin-password');
  await page.click('[data-menu="/live"]');
  await page.waitForSelector('[data-device="gate-w1"] [data-mode]:has-text("关闭")');
  await page.waitForSelector('[data-in-park] .value:text-is("9")');
  await shot('live');
  await page.click('[data-wall]');
  await shot('live-wall');
  await page.click('[data-wall]');
  await page.click('[data-mode-menu="gate-e1"]');
  await page.click('.el-dropdown-menu:visible [data-mode-item="emergency"]');
  await page.fill('#order-reason', '东门人流过大，疏散');
  await shot('live-order');
  await page.keyboard.press('Escape');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot('live-phone');
  await page.setViewportSize({ width: 1366, height: 768 });

  must(await admin('/api/v1/holidays/2026-12-25', { name: '圣诞节' }, 'PUT'), 200);
  must(await admin('/api/v1/discounts', { code: 'student', name: '学生半价', kind: 'percent', value: 50 }), 201);
  await page.click('[data-menu="/system/catalog"]');
  await page.waitForSelector('[data-types] .el-table__row');
  await shot('catalog-types');
  await page.click('.el-tabs__item:has-text("价格日历")');
  await page.waitForSelector('[data-calendar] td[data-day]');
  await page.click('#rule-new');
  await page.fill('#rule-name', '周末价');
  await page.fill('#rule-price', '150');
  await page.click('[data-rule-dialog] [data-wd="6"]');
  await page.click('[data-rule-dialog] [data-wd="7"]');
  await page.click('#rule-preview');
  await page.waitForSelector('[data-preview]');
  await shot('catalog-preview');
  await page.click('#rule-save');
  await page.waitForSelector('[data-rule="周末价"]');
  await shot('catalog-calendar');

  await page.click('[data-menu="/system/lanes"]');
  await page.click('[data-lanes] .el-table__row:has-text("east-1")');
  await page.waitForSelector('[data-lane-editor]');
  await page.click('#lane-add-window');
  await page.fill('#explain-ticket', codes[5]!.length > 0 ? sale.tickets[5].id.slice(0, 8) : '');
  await page.click('#explain-run');
  await page.waitForSelector('[data-verdict]');
  await shot('lanes');

  await page.click('[data-menu="/system/audit"]');
  await page.waitForSelector('[data-audit-log] .el-table__row');
  await page.click('#audit-verify');
  await page.waitForSelector('[data-verdict]');
  await shot('audit-log');
  await page.click('#logout');
  await signIn(page, 'admin', TEST_ADMIN_PASSWORD);
  await page.click('[data-menu="/system/users"]');
  await page.waitForSelector('[data-users] .el-table__row');
  await shot('users');

  await page.click('[data-menu="/system/catalog"]');
  await page.click('.el-tabs__item:has-text("每日限量")');
  await page.waitForSelector('[data-capacity] td[data-day]');
  await shot('catalog-capacity');
  await page.click('.el-tabs__item:has-text("售票授权")');
  await page.waitForSelector('[data-grant-type]');
  await shot('catalog-grants');

  await page.click('[data-menu="/system/devices"]');
  await page.waitForSelector('[data-devices] .el-table__row');
  await page.click('[data-issue="gate-e1"]');
  await page.click('#issue-confirm');
  await page.waitForSelector('[data-setup-qr]');
  await shot('devices');
  await page.click('#issue-done');

  await page.click('[data-menu="/system/templates"]');
  await page.waitForSelector('[data-preview]');
  await page.fill('#tpl-code', 'adult-80');
  await page.fill('#tpl-name', '成人票面');
  await page.click('[data-add="barcode"]');
  await page.click('[data-el="2"]');
  await shot('templates');

  // Marketing: an agency on contract, a sale on its account, a guide, a channel, ID-card sales.
  must(await admin('/api/v1/customers', { code: 'cits', name: '国旅北京', kind: 'agency', contact: '张经理', phone: '13800138000' }), 201);
  must(await admin('/api/v1/customers', { code: 'ctrip-sh', name: '携程上海', kind: 'agency' }), 201);
  must(await admin('/api/v1/customers', { code: 'bank', name: '市工商银行', kind: 'unit' }), 201);
  const day0 = new Date().toISOString().slice(0, 10);
  const yearOn = new Date(Date.now() + 364 * 86_400_000).toISOString().slice(0, 10);
  must(await admin('/api/v1/customers/cits/contracts', { contractNo: 'CITS-2026-01', startDay: day0, endDay: yearOn, category: 'agency', discountPct: 10, creditLimitFen: 500000, settlement: 'monthly', settlementDays: 30 }), 201);
  must(await admin('/api/v1/customers/bank/contracts', { contractNo: 'BANK-2026-01', startDay: day0, endDay: yearOn, category: 'unit', discountPct: 20, creditLimitFen: 200000, settlement: 'monthly', settlementDays: 15 }), 201);
  must(await admin('/api/v1/shifts', { floatFen: 0 }), 201);
  const accounts = must(await admin('/api/v1/customer-accounts?limit=50'), 200).items as { id: string; name: string }[];
  const idn = (region: string, birth: string) => {
    const body = `${region}${birth}123`;
    const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    return body + '10X98765432'[[...body].reduce((n, d, i) => n + Number(d) * w[i]!, 0) % 11]!;
  };
  for (const [name, n] of [['国旅北京', 18], ['国旅北京', 6], ['市工商银行', 10]] as const) {
    const account = accounts.find((a) => a.name === name)!.id;
    const q = must(await admin('/api/v1/quote', { lines: [{ type: 'adult', quantity: n, group: 'each' }], account }), 200);
    must(await admin('/api/v1/orders', { lines: [{ type: 'adult', quantity: n, group: 'each' }], account, payments: [{ method: 'on_account', amountFen: q.totalFen }] }), 201);
  }
  must(await admin('/api/v1/ticket-types/adult', { saleMethods: ['print', 'id_binding'] }, 'PATCH'), 200);
  for (const [region, n] of [['110101', 5], ['310104', 3], ['320102', 2], ['440305', 1], ['320506', 2]] as const) {
    must(await admin('/api/v1/orders', { lines: [{ type: 'adult', quantity: n, group: 'each', idcards: Array.from({ length: n }, (_, i) => idn(region, `1990030${i + 1}`)) }], payments: [{ method: 'cash', amountFen: 12000 * n, tenderedFen: 12000 * n }] }), 201);
  }
  const guide = must(await admin('/api/v1/customers/guides', { kind: 'guide', name: '刘导', phone: '13912345678', customer: 'cits', pointsPerPerson: 2, rebateFenPerPerson: 500 }), 201);
  must(await admin(`/api/v1/customers/guides/${guide.id}/visits`, { ref: 'G-20261207-01', persons: 18 }), 201);
  must(await admin('/api/v1/channels/admin', { code: 'ctrip', name: '携程', kind: 'ota', dailyQuota: 500 }), 201);
  must(await admin('/api/v1/channels/admin', { code: 'web', name: '景区官网', kind: 'web' }), 201);

  await page.click('#logout');
  await signIn(page, 'lijing', 'lijing-password');
  await page.click('[data-menu="/marketing/customers"]');
  await page.click('[data-customers] .el-table__row:has-text("cits")');
  await page.waitForSelector('[data-statement] .el-table__row');
  await shot('marketing-customers');
  await page.click('#contract-new');
  await page.waitForSelector('[data-contract-dialog]');
  await shot('marketing-contract');
  await page.keyboard.press('Escape');
  await page.click('[data-menu="/marketing/guides"]');
  await page.click('[data-guides] .el-table__row');
  await page.waitForSelector('[data-ledger] .el-table__row');
  await shot('marketing-guides');
  await page.click('[data-menu="/marketing/performance"]');
  await page.waitForSelector('[data-performance] .el-table__row');
  await shot('marketing-performance');
  await page.click('[data-menu="/marketing/members"]');
  await page.waitForSelector('[data-expiring]');
  await shot('marketing-members');
  await page.click('[data-menu="/marketing/channels"]');
  await page.waitForSelector('[data-channels] .el-table__row');
  await shot('marketing-channels');
  await page.click('[data-menu="/marketing/origin"]');
  await page.waitForSelector('[data-provinces] .el-table__row');
  await shot('marketing-origin');
} finally {
  await browser.close();
  for (const g of gates) await g.cleanup();
  await cloud.cleanup();
}
