import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startBrowser } from './support/browser.ts';
import { ADULT, api, startTestCloud, TEST_ADMIN_PASSWORD } from './support/cloud.ts';
import { must } from './support/office.ts';
import { zbarDecode } from './support/zbar.ts';

/**
 * 票面模板 in real Chromium: a supervisor's designer lays out a template for the adult ticket
 * (its QR dragged down the paper), the live preview (HQ's layout code, the printer's) shows a QR
 * that zbarimg reads, saving makes versions and a rollback brings an older one back as the
 * next; a ticket sold afterwards prints with the template, and its printed QR decodes to the
 * ticket's own signed code.
 */
const cloud = await startTestCloud();
const u = cloud.url;
must(await api(u, '/api/v1/ticket-types', { body: ADULT }), 201);
const browser = await startBrowser({ viewport: { width: 1600, height: 1000 } });
const page = browser.page;
test.after(async () => {
  await browser.close();
  await cloud.cleanup();
});

type Layout = { elements: { kind: string; y?: number; text?: string }[] };
const template = async (version?: number) => must(await api(u, `/api/v1/templates/adult80${version ? `?version=${version}` : ''}`), 200) as { version: number; layout: Layout };

test('design a template by dragging, preview it live, save versions and roll one back', async () => {
  await page.goto(`${u}/#/login`);
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', TEST_ADMIN_PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('[data-who]');
  await page.click('[data-menu="/system/templates"]');
  await page.waitForSelector('[data-preview]');
  // A newcomer saves before naming it: told what is missing, in Chinese.
  await page.click('#tpl-save');
  await page.waitForSelector('.el-message:has-text("请填写模板代码")');
  await page.fill('#tpl-code', 'adult80');
  await page.fill('#tpl-name', '成人票面');
  await page.click('.el-select:has(#tpl-type)');
  await page.click('.el-select-dropdown__item:visible:has-text("成人票")');

  // Drag the QR 60 px (80 dots at this scale) down the paper.
  const qr = page.locator('[data-kind="qr"]');
  const box = (await qr.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + 10);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + 40, { steps: 4 });
  await page.mouse.move(box.x + box.width / 2, box.y + 70, { steps: 4 });
  await page.mouse.up();
  assert.match(await page.textContent('.props') ?? '', '距顶 200 点', 'y 120 + 80 dots');
  await page.waitForTimeout(800);
  const preview = await page.locator('[data-preview]').screenshot();
  const sample = await zbarDecode(preview);
  assert.equal(sample, ['SAMPLE0TICKET0CODE0NOT0VALID0AT0ANY0GATE'], 'the live preview\'s QR decodes (a sample code, valid at no gate)');

  await page.click('#tpl-save');
  await page.waitForSelector('[data-version="1"]');
  const v1 = await template();
  assert.is(v1.version, 1);
  assert.is(v1.layout.elements.find((e) => e.kind === 'qr')?.y, 200);

  await page.click('[data-add="text"]');
  await page.fill('#prop-text', '请勿折叠');
  await page.click('#tpl-save');
  await page.waitForSelector('[data-version="2"]');
  assert.ok((await template()).layout.elements.some((e) => e.text === '请勿折叠'));

  await page.click('[data-rollback="1"]');
  await page.waitForSelector('[data-version="3"]');
  const v3 = await template();
  assert.is(v3.version, 3);
  assert.equal(v3.layout, v1.layout, 'version 1 is back, as version 3');
});

test('a ticket sold afterwards prints with the template; its printed QR decodes to its own code', async () => {
  const sale = must(await api(u, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } }), 201);
  const ticket = sale.tickets[0] as { id: string; code: string };
  const res = await fetch(`${u}/api/v1/templates/adult80/preview.png?ticket=${ticket.id}`, { headers: { authorization: `Bearer ${await (await import('./support/cloud.ts')).login(u, 'admin', TEST_ADMIN_PASSWORD)}` } });
  assert.is(res.status, 200);
  const codes = await zbarDecode(Buffer.from(await res.arrayBuffer()));
  assert.ok(codes.includes(ticket.code), `printed ${codes.join(' ')}`);
});

test.run();
