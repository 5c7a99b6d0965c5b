import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import { recordRefusals } from '../cloud/devices/service.ts';
import { signIn, startBrowser } from './support/browser.ts';
import { ADULT, api, startTestCloud, TEST_ADMIN_PASSWORD, waitFor } from './support/cloud.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { must } from './support/office.ts';
import { provision } from './support/provision.ts';

/**
 * The supervisor's consoles in real Chromium against a real HQ and real gate agents: the live
 * site screen (figures, a tile per gate updating by server push, mode orders with a reason,
 * alarms acknowledged), on a wall screen and on a phone.
 */
const cloud = await startTestCloud();
const u = cloud.url;
const gates: TestGate[] = [];
const browser = await startBrowser({ viewport: { width: 1920, height: 1080 } });
const page = browser.page;

test.before(async () => {
  must(await api(u, '/api/v1/sites/demo/lanes/east', { method: 'PUT', body: { directions: ['in', 'out'] } }), 200);
  await provision(u, 'demo', [{ device: 'gate-e', lanes: ['east'] }, { device: 'gate-w', lanes: ['west'] }]);
  must(await api(u, '/api/v1/sites/demo/devices/gate-e', { method: 'PUT', body: { role: 'gate', lanes: ['east'], name: '东门1号' } }), 200);
  for (const [device, lane] of [['gate-e', 'east'], ['gate-w', 'west']] as const) {
    gates.push(await startTestGate({ device, lane, cloudUrl: u, mqttUrl: cloud.mqttUrl }));
  }
  must(await api(u, '/api/v1/users', { body: { username: 'sup', displayName: '值班主管', roles: ['supervisor'], password: 'sup-password' } }), 201);
  must(await api(u, '/api/v1/ticket-types', { body: ADULT }), 201);
});
test.after(async () => {
  await browser.close();
  for (const g of gates) await g.cleanup();
  await cloud.cleanup();
});

const login = (p: Page, username: string, password: string) => signIn(p, u, username, password);
const text = async (sel: string) => (await page.textContent(sel))?.replace(/\s+/g, ' ').trim() ?? '';
/** A page expression: every tile shows this mode. */
const allTiles = (label: string) => `[...document.querySelectorAll('[data-device] [data-mode]')].every((e) => e.textContent.trim() === '${label}')`;
const tileMode = (device: string) => text(`[data-device="${device}"] [data-mode]`);

/** Picks a mode for a gate from its tile, gives the reason, confirms; answers when the tile shows the gate reported it. */
async function switchGate(device: string, mode: string, label: string, reason: string): Promise<number> {
  await page.click(`[data-mode-menu="${device}"]`);
  await page.click(`.el-dropdown-menu:visible [data-mode-item="${mode}"]`);
  await page.waitForSelector('[data-order-dialog]:visible');
  await page.fill('#order-reason', reason);
  const t0 = Date.now();
  await page.click('#order-confirm');
  await page.waitForFunction(`(() => {
    const el = document.querySelector('[data-device="${device}"] [data-mode]');
    return el && el.textContent.trim().startsWith('${label}') && !el.querySelector('[data-pending]');
  })()`, undefined, { timeout: 5000 });
  return Date.now() - t0;
}

test('the live screen: in-park count is entries minus exits, every gate a tile, sales of today', async () => {
  await login(page, 'sup', 'sup-password');
  await page.click('[data-menu="/live"]');
  await page.waitForSelector('[data-device="gate-e"]');
  await page.waitForSelector('[data-link]:has-text("实时")');
  await waitFor('both gates online', async () => (await tileMode('gate-e')) === '正常' && (await tileMode('gate-w')) === '正常' || undefined, 10_000, 200);
  assert.match(await text('[data-device="gate-e"]'), '东门1号');

  const sale = must(await api(u, '/api/v1/sales', { body: { type: 'adult', quantity: 4 } }), 201);
  const codes: string[] = sale.tickets.map((x: { code: string }) => x.code);
  const [east, west] = gates;
  await waitFor('tickets at the gates', () => east!.agent.evaluate(codes[0]!).verdict.admit && west!.agent.evaluate(codes[3]!).verdict.admit);
  for (const c of codes.slice(0, 3)) assert.ok((await east!.agent.present(c)).admit);
  assert.ok((await west!.agent.present(codes[3]!)).admit);
  assert.ok((await east!.agent.present(codes[1]!, { direction: 'out' })).admit);
  assert.ok((await east!.agent.present(codes[2]!, { direction: 'out' })).admit);
  // 4 in, 2 out: 2 in the park, pushed to the screen without a reload.
  await page.waitForSelector('[data-in-park] .value:text-is("2")', { timeout: 10_000 });
  assert.match(await text('[data-entries-today]'), '4');
  assert.match(await text('[data-sales-today]'), '¥480.00');
  assert.match(await text('[data-venue="main"]'), '入 4 / 出 2');
  assert.match(await text('[data-device="gate-w"]'), '放行', 'the last decision on the tile');
  const r = must(await api(u, '/api/v1/reports/in-park?site=demo'), 200);
  assert.is(r.totals.inPark, 2, 'the screen and the report agree');
});

test('a supervisor closes one gate, then puts the whole site in emergency and back; each gate reports within 2 s', async () => {
  const closed = await switchGate('gate-w', 'closed', '关闭', '西门检修');
  process.stdout.write(`gate-w closed on the screen ${closed} ms after the click\n`);
  assert.ok(closed < 2000, `took ${closed} ms`);
  assert.is(gates[1]!.agent.mode, 'closed');
  assert.is(await tileMode('gate-e'), '正常');
  assert.ok(!/—/.test(await text('[data-device="gate-w"] [data-applied]')), 'when it applied it');

  // The reason is required, said in Chinese.
  await page.click('[data-site-mode="emergency"]');
  await page.waitForSelector('[data-order-dialog]:visible');
  await page.click('#order-confirm');
  assert.match(await text('[data-order-dialog] [data-error]'), '请填写原因');
  await page.fill('#order-reason', '消防疏散演练');
  const t0 = Date.now();
  await page.click('#order-confirm');
  await page.waitForFunction(allTiles('紧急'), undefined, { timeout: 5000 });
  const emergency = Date.now() - t0;
  process.stdout.write(`site emergency on every tile ${emergency} ms after the click\n`);
  assert.ok(emergency < 2000, `took ${emergency} ms`);
  assert.ok(gates.every((g) => g.agent.mode === 'emergency'));

  await page.click('[data-site-mode="normal"]');
  await page.fill('#order-reason', '演练结束');
  const t1 = Date.now();
  await page.click('#order-confirm');
  await page.waitForFunction(allTiles('正常'), undefined, { timeout: 5000 });
  const back = Date.now() - t1;
  assert.ok(back < 2000, `took ${back} ms`);
  assert.ok(gates.every((g) => g.agent.mode === 'normal'));

  const audit = await cloud.ctx!.db.execute<{ actor: string; subject: string; body: { reason: string } }>(
    `select actor, subject, body from audit_log where action = 'mode' order by seq` as never);
  const rows = (audit as unknown as { rows: { actor: string; subject: string; body: { reason: string } }[] }).rows;
  assert.equal(rows.map((x) => [x.actor, x.subject, x.body.reason]), [['sup', 'demo/gate-w', '西门检修'], ['sup', 'demo/*', '消防疏散演练'], ['sup', 'demo/*', '演练结束']]);
});

test('an alarm shows on its tile and in the list; acknowledged with a note, it is marked by whom', async () => {
  await recordRefusals(cloud.ctx!.db, 'demo', 'gate-e', 'entry', 2, { reason: 'foreign_lane', at: Date.now() });
  await page.waitForSelector('[data-ack="gate-e:entries_refused"]', { timeout: 5000 });
  assert.match(await text('[data-device="gate-e"]'), '拒收入园记录 2 条');
  assert.match(await text('[data-alarm-count] .value'), '1');
  await page.click('[data-ack="gate-e:entries_refused"]');
  await page.fill('#ack-note', '已通知东门值班');
  await page.click('#ack-confirm');
  await page.waitForSelector('[data-alarms] :text("sup 已确认")');
  assert.match(await text('[data-alarm-count] .value'), '0');
});

test('on a phone the screen is one column and still switches a gate', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const boxes = await page.$$eval('[data-tiles] [data-device]', (els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x, w: r.width })));
  assert.ok(boxes.length === 2 && boxes[0]!.x === boxes[1]!.x, 'tiles stacked');
  assert.ok(boxes[0]!.w > 320, `a tile takes the phone's width (${boxes[0]!.w}px): the menu folds away`);
  const width = await page.evaluate<number>('document.documentElement.scrollWidth');
  assert.ok(width <= 400, `no sideways scrolling (page is ${width}px wide)`);
  await page.click('[data-mode-menu="gate-e"]');
  await page.click('.el-dropdown-menu:visible [data-mode-item="closed"]');
  await page.fill('#order-reason', '手机上关闭');
  await page.click('#order-confirm');
  await waitFor('gate-e closed', () => gates[0]!.agent.mode === 'closed' || undefined, 5000, 50);
  await page.click('[data-menu-toggle]');
  await page.click('[data-menu="/live"]');
  await page.waitForSelector('aside', { state: 'hidden' });
  await page.setViewportSize({ width: 1920, height: 1080 });
});

/** The next Saturday after tomorrow, in the site's zone (YYYY-MM-DD). */
function nextSaturday(): string {
  const shanghai = (ms: number) => new Date(ms + 8 * 3_600_000);
  for (let i = 2; ; i++) {
    const d = shanghai(Date.now() + i * 86_400_000);
    if (d.getUTCDay() === 6) return d.toISOString().slice(0, 10);
  }
}

test('the catalog: a weekend price is previewed, saved, shown on the calendar, and a window quote charges it', async () => {
  await page.click('[data-menu="/system/catalog"]');
  await page.waitForSelector('[data-types] .el-table__row:has-text("成人票")');
  await page.click('.el-tabs__item:has-text("价格日历")');
  await page.waitForSelector('[data-calendar] td[data-day]');
  await page.click('#rule-new');
  await page.fill('#rule-name', '周末价');
  await page.fill('#rule-price', '150');
  await page.click('[data-rule-dialog] [data-wd="6"]');
  await page.click('[data-rule-dialog] [data-wd="7"]');
  assert.ok(await page.isDisabled('#rule-save'), 'saved only after a preview');
  await page.click('#rule-preview');
  await page.waitForSelector('[data-preview]');
  const preview = await text('[data-preview]');
  assert.match(preview, '¥120.00 → ¥150.00');
  assert.match(preview, '周六、周日');
  await page.click('#rule-save');
  await page.waitForSelector('[data-rule="周末价"]');
  const sat = nextSaturday();
  const month = sat.slice(0, 7);
  if (!(await page.$(`[data-calendar] td[data-day="${sat}"]`))) {
    await page.fill('[data-calendar] ~ * input, .toolbar .el-date-editor--month input', month);
    await page.keyboard.press('Enter');
  }
  await page.waitForSelector(`[data-calendar] td[data-day="${sat}"]:has-text("¥150.00")`);
  const q = must(await api(u, '/api/v1/quote', { body: { lines: [{ type: 'adult', quantity: 2 }], visitDay: sat } }), 200);
  assert.is(q.totalFen, 30000, 'the window quote charges the weekend price');
});

test('a new ticket type from the dialog; a duplicate code is said in Chinese beside the form', async () => {
  await page.click('.el-tabs__item:has-text("票种")');
  await page.click('#type-new');
  await page.fill('#type-code', 'night');
  await page.fill('#type-name', '夜场票');
  await page.fill('#type-price', '90');
  await page.click('#type-save');
  await page.waitForSelector('[data-types] .el-table__row:has-text("夜场票")');
  await page.click('#type-new');
  await page.fill('#type-code', 'night');
  await page.fill('#type-name', '夜场票2');
  await page.fill('#type-price', '80');
  await page.click('#type-save');
  const err = await page.waitForSelector('[data-type-dialog] .el-form-item__error, [data-type-dialog] [data-error]');
  assert.match(await err.textContent() ?? '', /[\u4e00-\u9fa5]/);
  await page.keyboard.press('Escape');
  await page.click('[data-edit-type="night"]');
  await page.fill('#type-price', '99');
  assert.match(await text('[data-price-change]'), '¥90.00 → ¥99.00');
  await page.click('#type-save');
  await page.waitForSelector('[data-types] .el-table__row:has-text("¥99.00")');
});

test('a lane rule edited: explain beside it gives the new verdict, the change is audited and reaches the gate', async () => {
  const sale = must(await api(u, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } }), 201);
  const ticket = sale.tickets[0];
  await page.click('[data-menu="/system/lanes"]');
  await page.click('[data-lanes] .el-table__row:has-text("west")');
  await page.waitForSelector('[data-lane-editor]');
  await page.fill('#explain-ticket', ticket.id.slice(0, 8));
  await page.click('#explain-run');
  await page.waitForSelector('[data-verdict].ok');
  assert.match(await text('[data-verdict]'), '放行');
  assert.match(await text('[data-verdict]'), 'gate-w');

  // Only night tickets at the west lane: the adult ticket is refused there now.
  await page.click('.el-select:has(#lane-types)');
  await page.click('.el-select-dropdown__item:visible:has-text("夜场票")');
  await page.keyboard.press('Escape');
  await page.click('#lane-save');
  await page.waitForSelector('[data-verdict].no');
  const refused = await text('[data-verdict]');
  assert.match(refused, /[\u4e00-\u9fa5]/);
  assert.not.match(refused, '放行');
  const lane = must(await api(u, '/api/v1/sites/demo/lanes/west'), 200);
  assert.is(lane.types.length, 1);
  const rows = (await cloud.ctx!.db.execute(`select actor, subject from audit_log where action = 'lane_rules' order by seq desc limit 1` as never) as unknown as { rows: { actor: string; subject: string }[] }).rows;
  assert.equal(rows[0], { actor: 'sup', subject: 'demo/west' });
  await waitFor('the gate applies the new rule', () => !gates[1]!.agent.evaluate(ticket.code).verdict.admit || undefined, 10_000, 100);
});

test('the audit log: the supervisor\'s mode orders with their reasons, searched by action; the chain verifies', async () => {
  await page.click('[data-menu="/system/audit"]');
  await page.waitForSelector('[data-audit-log] .el-table__row');
  await page.click('.el-select:has(#audit-action)');
  await page.click('.el-select-dropdown__item:visible:has-text("切换模式")');
  await page.waitForSelector('[data-audit-log] .el-table__row:has-text("消防疏散演练")');
  const log = await text('[data-audit-log]');
  assert.match(log, '西门检修');
  assert.not.match(log, '通道规则', 'only mode orders');
  await page.click('#audit-verify');
  assert.match(await text('[data-verdict]'), '完整');
});

test('the administrator adds a marketing user with the dialog; marketing signs in and reads the sales reports', async () => {
  await page.click('#logout');
  await login(page, 'admin', TEST_ADMIN_PASSWORD);
  await page.click('[data-menu="/system/users"]');
  await page.click('#user-new');
  await page.fill('#user-username', 'mkt');
  await page.fill('#user-name', '市场部小李');
  await page.click('[data-user-dialog] [data-role="seller"]');
  await page.click('[data-user-dialog] [data-role="marketing"]');
  await page.fill('#user-password', 'short');
  await page.click('#user-save');
  const err = await page.waitForSelector('[data-user-dialog] .el-form-item__error, [data-user-dialog] [data-error]');
  assert.match(await err.textContent() ?? '', /[\u4e00-\u9fa5]/, 'a short password is refused in Chinese');
  await page.fill('#user-password', 'mkt-password-1');
  await page.click('#user-save');
  await page.waitForSelector('[data-users] .el-table__row:has-text("市场部小李")');
  await page.click('#logout');
  await login(page, 'mkt', 'mkt-password-1');
  await page.click('[data-menu="/finance/reports"]');
  await page.waitForSelector('[data-chart], .el-table');
  assert.is(await page.$('[data-denied]'), null, 'marketing may read the reports');
});

test.run();
