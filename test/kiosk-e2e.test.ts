import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startTestKiosk, type TestKiosk } from '../edge/kiosk/testing/kiosk.ts';
import { bookingChannel } from './support/channel.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { zbarDecode } from './support/zbar.ts';
import { provision } from './support/provision.ts';

// A visitor at the kiosk's touch screen, in headless Chromium (Debian's, never a download).
const cloud = await startTestCloud();
await provision(cloud.url, 'demo', [{ device: 'kiosk-1', role: 'kiosk' }, { device: 'gate-1', lanes: ['lane-1'] }]);
const channel = await bookingChannel(cloud.url);
const profile = mkdtempSync(join(tmpdir(), 'tk-chromium-'));
let kiosk: TestKiosk;
let gate: TestGate;
let context: BrowserContext;
let page: Page;

test.before(async () => {
  kiosk = await startTestKiosk({ cloudUrl: cloud.url });
  gate = await startTestGate({ device: 'gate-1', lane: 'lane-1', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl });
  // A fresh profile directory: playwright takes it as launchPersistentContext's userDataDir
  // (it refuses --user-data-dir among the args of launch()).
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    viewport: { width: 1080, height: 1920 },
  });
  page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(15_000);
});

test.after(async () => {
  await context?.close();
  await gate?.cleanup();
  await kiosk?.stop();
  await cloud.cleanup();
  rmSync(profile, { recursive: true, force: true });
});

const active = (id: string) => page.waitForSelector(`#${id}.screen.active`);

async function pickUpOnScreen(orderNo: string, phone: string) {
  await page.goto(kiosk.agent.url + '/');
  await active('home');
  await page.click('#go-pickup');
  await active('pickup');
  await page.fill('#order', orderNo);
  await page.fill('#phone', phone);
  await page.click('#find-order');
}

test('picked up by order number and phone on the screen; the printed QR decodes and a gate admits it', async () => {
  const b = await channel.book({ name: '张三', phone: '13812345678' }, [{ type: 'adult', quantity: 1 }]);
  await page.goto(kiosk.agent.url + '/');
  await active('home');
  assert.is(await page.textContent('#go-pickup span'), '取票', 'Chinese by default');
  await page.click('#lang');
  assert.is(await page.textContent('#go-pickup span'), 'Pick up');
  await page.click('#lang');

  const jobs0 = kiosk.printer.jobs.length;
  await pickUpOnScreen(b.orderNo, '13812345678');
  await active('found');
  const card = await page.textContent(`.booking[data-order="${b.orderNo}"]`);
  assert.ok(card?.includes('张*'), card ?? '');
  assert.ok(card?.includes('****5678'));
  await page.click(`.booking[data-order="${b.orderNo}"] button.confirm`);
  await active('done');
  assert.ok((await page.textContent('#done-text'))?.includes('1/1'));

  // The printer received one ESC/POS job; its page, rendered, carries a QR zbarimg can read.
  const jobs = kiosk.printer.jobs.slice(jobs0);
  assert.is(jobs.length, 1);
  assert.ok(jobs[0]!.printed);
  const decoded = await zbarDecode(await kiosk.printer.renderPng(jobs[0]!));
  assert.equal(decoded, [b.tickets[0]!.code]);

  // A gate admits the decoded code once.
  await waitFor('gate holds HQ key', () => gate.agent.store.keyring.has(cloud.ctx!.key.keyId));
  const first = await gate.agent.present(decoded[0]!);
  assert.is(first.admit, true, first.message);
  const second = await gate.agent.present(decoded[0]!);
  assert.is(second.admit, false);

  // HQ has the pickup.
  await waitFor('pickup at HQ', async () => (await api(cloud.url, `/api/v1/pickups/lookup?order=${b.orderNo}&phone=13812345678`)).body[0]?.state === 'picked_up');

  // The same booking again: a clear refusal on the screen, nothing printed.
  await pickUpOnScreen(b.orderNo, '13812345678');
  await active('error');
  assert.is(await page.getAttribute('#error', 'data-code'), 'already_picked_up');
  assert.is(await page.textContent('#error-text'), '该订单已取票');
  assert.is(kiosk.printer.jobs.length, jobs0 + 1);
});

test('printer out of paper on the screen: an error, then one print after the refill', async () => {
  const b = await channel.book({ name: 'Li Si', phone: '13900001111' }, [{ type: 'adult', quantity: 2 }]);
  kiosk.printer.device.setPaper('out');
  const jobs0 = kiosk.printer.jobs.length;
  await pickUpOnScreen(b.orderNo, '13900001111');
  await active('found');
  await page.click(`.booking[data-order="${b.orderNo}"] button.confirm`);
  await active('error');
  assert.is(await page.getAttribute('#error', 'data-code'), 'paper_out');
  assert.is(await page.textContent('#error-text'), '打印机缺纸，请联系工作人员');
  assert.ok(await page.isVisible('#retry'));
  assert.is(kiosk.printer.jobs.length, jobs0);
  kiosk.printer.device.setPaper('ok');
  await page.click('#retry');
  await active('done');
  const printed = kiosk.printer.jobs.slice(jobs0).filter((j) => j.printed);
  assert.is(printed.length, 2);
  const codes = new Set<string>();
  for (const j of printed) for (const c of await zbarDecode(await kiosk.printer.renderPng(j))) codes.add(c);
  assert.equal(codes, new Set(b.tickets.map((t) => t.code)));
});

test('the scanner reads a booking QR on the home screen; a self-service sale on the screen, declined then paid', async () => {
  const b = await channel.book({ name: '王五', phone: '13900002222' }, [{ type: 'child', quantity: 1 }]);
  await page.goto(kiosk.agent.url + '/');
  await active('home');
  await page.waitForSelector('body[data-ready="1"]');
  kiosk.scanner.present(b.pickupCode);
  await active('found');
  assert.ok(await page.isVisible(`.booking[data-order="${b.orderNo}"]`));

  await page.click('#found .back');
  await active('home');
  await page.click('#go-sale');
  await active('sale');
  await page.click('.type-row[data-type="adult"] .plus');
  await page.click('.type-row[data-type="child"] .plus');
  await page.click('.type-row[data-type="child"] .plus');
  assert.is(await page.textContent('#sale-total'), '¥240.00');
  await page.click('#sale-next');
  await active('pay');
  const jobs0 = kiosk.printer.jobs.length;
  await page.fill('#authcode', '134567890123456784');
  await page.click('#pay-submit');
  await active('error');
  assert.is(await page.getAttribute('#error', 'data-code'), 'payment_failed');
  assert.is(await page.textContent('#error-text'), '支付失败，未扣款');
  assert.is(kiosk.printer.jobs.length, jobs0);

  await page.click('#error .home');
  await page.click('#go-sale');
  await active('sale');
  await page.click('.type-row[data-type="adult"] .plus');
  await page.click('#sale-next');
  await active('pay');
  await page.fill('#authcode', '134567890123456780');
  await page.click('#pay-submit');
  await active('done');
  const printed = kiosk.printer.jobs.slice(jobs0).filter((j) => j.printed);
  assert.is(printed.length, 1);
  const [code] = await zbarDecode(await kiosk.printer.renderPng(printed[0]!));
  const verdict = await gate.agent.present(code!);
  assert.is(verdict.admit, true, verdict.message);
});

test.run();
