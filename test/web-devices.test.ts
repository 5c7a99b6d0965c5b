import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseGateConfig } from '../edge/gate/config.ts';
import { startBrowser } from './support/browser.ts';
import { api, startTestCloud, TEST_ADMIN_PASSWORD, waitFor } from './support/cloud.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { must } from './support/office.ts';
import { zbarDecode } from './support/zbar.ts';

/**
 * 设备登记 in real Chromium: the administrator provisions a gate, issues its credential and
 * sees it once as a QR; the QR, read from the screen's pixels by zbarimg, is what the board's
 * installer (provisioning/install.sh --setup-qr) turns into the gate's config; a real gate
 * agent started from that config connects to HQ and shows online. Revoked from the screen,
 * the same credential is refused by HQ's broker.
 */
const cloud = await startTestCloud();
const u = cloud.url;
const browser = await startBrowser();
const page = browser.page;
const root = mkdtempSync(join(tmpdir(), 'tk-setup-'));
let gate: TestGate | undefined;

test.before(async () => {
  must(await api(u, '/api/v1/sites/demo/lanes/north', { method: 'PUT', body: { directions: ['in'] } }), 200);
});
test.after(async () => {
  await gate?.cleanup();
  await browser.close();
  await cloud.cleanup();
  rmSync(root, { recursive: true, force: true });
});
const text = async (sel: string) => (await page.textContent(sel))?.replace(/\s+/g, ' ').trim() ?? '';

test('provision a gate, issue its credential once as a QR; the installer reads the QR and the gate connects with it', async () => {
  await page.goto(`${u}/#/login`);
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', TEST_ADMIN_PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('[data-who]');
  await page.click('[data-menu="/system/devices"]');
  await page.click('#dev-new');
  // A newcomer's slips, said beside the field in Chinese.
  await page.fill('#dev-device', '北门 1');
  await page.click('#dev-save');
  await page.waitForSelector('[data-device-dialog] .el-form-item__error:has-text("设备编号只能用字母")');
  await page.fill('#dev-device', 'gate-n');
  await page.click('#dev-save');
  await page.waitForSelector('[data-device-dialog] .el-form-item__error:has-text("闸机至少要服务一条通道")');
  await page.fill('#dev-name', '北门1号');
  await page.click('[data-device-dialog] [data-lane="north"]');
  await page.click('#dev-save');
  // Saved: the credential dialog opens by itself.
  await page.waitForSelector('[data-issue-dialog]:visible');
  await page.fill('#issue-mqtt-url', cloud.mqttUrl);
  await page.click('#issue-confirm');
  await page.waitForSelector('[data-setup-qr]');
  assert.match(await text('[data-credential]'), '凭证只显示这一次');
  const shown = await text('[data-token]');

  const png = await page.locator('[data-setup-qr]').screenshot();
  const [code] = await zbarDecode(png);
  assert.ok(code?.startsWith('TKS1:'), `decoded ${code}`);
  const photo = join(root, 'qr.png');
  writeFileSync(photo, png);
  const install = spawnSync('bash', ['provisioning/install.sh', '--setup-qr', photo, '--destdir', join(root, 'board'), '--app-dir', '/srv/scenic'], { encoding: 'utf8' });
  assert.is(install.status, 0, install.stderr);
  const raw = JSON.parse(readFileSync(join(root, 'board/etc/scenic-ticketing/gate.json'), 'utf8'));
  const config = parseGateConfig(raw);
  assert.equal([config.site, config.device, config.lane, config.cloudUrl, config.mqttUrl, config.token], ['demo', 'gate-n', 'north', u, cloud.mqttUrl, shown]);

  // The gate as the installer configured it (its hardware simulated, its data in a temp dir).
  gate = await startTestGate({ site: raw.site, device: raw.device, lane: raw.lane, cloudUrl: raw.cloudUrl, mqttUrl: raw.mqttUrl, token: raw.token });
  await page.click('#issue-done');
  await waitFor('the gate online at HQ', async () => (await api(u, '/api/v1/sites/demo/devices/gate-n')).body.online || undefined, 10_000, 200);
  await page.click('[data-menu="/system/devices"]');
  await page.reload();
  await page.waitForSelector('[data-online="gate-n"]:has-text("在线")');
});

test('revoked from the screen, the credential is refused at the broker; the audit log names each step', async () => {
  const token = JSON.parse(readFileSync(join(root, 'board/etc/scenic-ticketing/gate.json'), 'utf8')).token as string;
  await gate?.cleanup();
  gate = undefined;
  await page.click('[data-revoke="gate-n"]');
  await page.click('.el-popconfirm:visible .el-button--primary');
  await page.waitForSelector('[data-state="gate-n"]:has-text("已吊销")');
  const refused = await new Promise<string>((resolve) => {
    const c = mqtt.connect(cloud.mqttUrl, { clientId: 'gate:demo:gate-n', username: 'gate:demo:gate-n', password: token, reconnectPeriod: 0, connectTimeout: 5000 });
    c.on('connect', () => { c.end(true); resolve('connected'); });
    c.on('error', (err) => { c.end(true); resolve(err.message); });
  });
  assert.match(refused, /Not authorized|Bad username|refused/i, refused);

  await page.click('[data-menu="/system/audit"]');
  await page.waitForSelector('[data-audit-log] .el-table__row');
  const log = await text('[data-audit-log]');
  assert.match(log, '吊销闸机，通道 north');
  assert.match(log, '发放闸机凭证（密钥不记录）');
  assert.match(log, '登记闸机，通道 north');
  assert.not.match(log, /\d+\/\d+\/\d{4}/, 'times read 2026-12-06 14:05');
});

test('the catalog: the capacity of a day set on the month view, the grants of a seller ticked and saved (both audited)', async () => {
  must(await api(u, '/api/v1/ticket-types', { body: { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 } }), 201);
  const seller = must(await api(u, '/api/v1/users', { body: { username: 'amy', displayName: '艾米', roles: ['seller'], password: 'amy-password' } }), 201);
  await page.click('[data-menu="/system/catalog"]');
  await page.click('.el-tabs__item:has-text("每日限量")');
  const day = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
  await page.click(`[data-capacity] td[data-day="${day}"]`);
  await page.fill('#cap-value', '300');
  await page.click('#cap-save');
  await page.waitForSelector(`[data-capacity] td.set[data-day="${day}"]:has-text("300")`);
  assert.match(await text(`[data-capacity] td[data-day="${day}"]`), '已售 0 余 300');

  await page.click('.el-tabs__item:has-text("售票授权")');
  await page.waitForSelector('[data-grant-type="adult"]');
  await page.click('[data-grant-type="adult"]');
  await page.click('#grants-save');
  await page.waitForSelector('.el-message:has-text("已保存 艾米 的授权")');
  assert.equal(must(await api(u, `/api/v1/sellers/${seller.id}/grants`), 200).types, ['adult']);
  const log = must(await api(u, '/api/v1/audit/log?limit=20'), 200).items as { action: string; subject: string }[];
  assert.ok(log.some((r) => r.action === 'capacity' && r.subject === `adult/${day}`));
  assert.ok(log.some((r) => r.action === 'seller_grants' && r.subject === seller.id));
});

test('a handheld provisioned on the screen: 手持检票机 with a lane of its own; its credential opens its change log, not a gate\'s digest', async () => {
  must(await api(u, '/api/v1/sites/demo/lanes/pier', { method: 'PUT', body: {} }), 200);
  await page.click('[data-menu="/system/devices"]');
  await page.reload();
  await page.click('#dev-new');
  await page.fill('#dev-device', 'hh-9');
  await page.click('[data-device-dialog] [data-role="handheld"]');
  await page.click('#dev-save');
  await page.waitForSelector('[data-device-dialog] .el-form-item__error:has-text("至少要服务一条通道")');
  await page.click('[data-device-dialog] [data-lane="pier"]');
  await page.click('#dev-save');
  await page.waitForSelector('[data-issue-dialog]:visible');
  await page.click('#issue-confirm');
  await page.waitForSelector('[data-token]');
  const token = await text('[data-token]');
  await page.click('#issue-done');
  await page.waitForSelector('.el-table__row:has-text("hh-9")');
  assert.match(await text('.el-table__row:has-text("hh-9")'), '手持检票机');
  assert.is(must(await api(u, '/api/v1/sites/demo/devices/hh-9'), 200).role, 'handheld');
  const headers = { authorization: `Basic ${Buffer.from(`handheld:demo:hh-9:${token}`).toString('base64')}` };
  assert.is((await fetch(`${u}/api/v1/sync/changes?site=demo&since=0`, { headers })).status, 200);
  assert.is((await fetch(`${u}/api/v1/sync/digest?site=demo&after=0`, { headers })).status, 403);
});

test.run();
