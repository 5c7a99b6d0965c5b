import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { ingestBatch } from '../cloud/entries/ingest.ts';
import { startBrowser } from './support/browser.ts';
import { api, startTestCloud, TEST_ADMIN_PASSWORD } from './support/cloud.ts';
import { cash, must, seedOffice } from './support/office.ts';
import { provisionGates } from './support/provision.ts';

/**
 * The live screen's capacity alarms in real Chromium against a real HQ: a venue at its
 * warning level (persons inside) and a ticket type at its warning level (today's sales) are
 * drawn; a supervisor acknowledges the venue's with a note; the type's turns full by itself
 * (the summary stream) and stays open. Screenshot: docs/console-live-capacity.png.
 */
const cloud = await startTestCloud();
const u = cloud.url;
const browser = await startBrowser({ viewport: { width: 1440, height: 900 } });
const page = browser.page;

test.after(async () => {
  await browser.close();
  await cloud.cleanup();
});

test('capacity alarms on the live screen: drawn, acknowledged, refreshed', async () => {
  const { sellers } = await seedOffice(u, { capacity: 5 });
  const s1 = sellers[0]!;
  must(await api(u, '/api/v1/shifts', { token: s1.token, body: { floatFen: 10000 } }), 201);
  await provisionGates(u, 'demo', [['gate-1', 'lane-1']]);
  must(await api(u, '/api/v1/venue-capacity/demo/main', { method: 'PUT', body: { capacity: 4, warnPercent: 75 } }), 200);
  const sell = (quantity: number) => api(u, '/api/v1/orders', { token: s1.token, body: { lines: [{ type: 'adult', quantity }], payments: [cash(12000 * quantity)] } });
  const o = must(await sell(4), 201);
  const epoch = randomUUID();
  let seq = 0;
  for (const t of o.lines[0].tickets.slice(0, 3)) {
    await ingestBatch(cloud.ctx!.db, 'demo', {
      device: 'gate-1', epoch, firstSeq: ++seq, lastSeq: seq,
      entries: [{ nonce: randomUUID(), ticketId: t.id, persons: 1, lane: 'lane-1', venue: 'main', direction: 'in', kind: 'normal', deviceTime: Date.now(), correctedTime: Date.now() }],
    });
  }

  await page.goto(`${u}/#/login`);
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', TEST_ADMIN_PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('[data-who]');
  await page.click('[data-menu="/live"]');
  await page.waitForSelector('[data-capacity-alarm="venue:main"][data-level="warning"]');
  await page.waitForSelector('[data-capacity-alarm="type:adult"][data-level="warning"]');
  const text = async (sel: string) => (await page.textContent(sel))?.replace(/\s+/g, ' ').trim() ?? '';
  assert.match(await text('[data-capacity-alarm="type:adult"] [data-message]'), '成人票今日已售 80%（4/5）');
  assert.match(await text('[data-capacity-alarm="venue:main"]'), '3/4');
  assert.match(await text('[data-capacity-open]'), '2');

  // The supervisor acknowledges the venue's warning, with a note.
  await page.click('[data-capacity-ack="venue:main"]');
  await page.fill('.capacity-ack-box input', '已加派人手');
  await page.click('.capacity-ack-box .el-button--primary');
  await page.waitForSelector('[data-capacity-alarm="venue:main"] [data-acked]');
  assert.match(await text('[data-capacity-alarm="venue:main"] [data-acked]'), 'admin 已确认（警戒）：已加派人手');
  assert.match(await text('[data-capacity-open]'), '1');
  const api1 = must(await api(u, '/api/v1/live/demo/capacity-alarms'), 200).items.find((a: any) => a.subject === 'venue:main');
  assert.is(api1.acked.note, '已加派人手', 'the acknowledgement is HQ\'s, not only the page\'s');

  // One more sale: the type is full; the screen shows it without a reload (the summary stream).
  must(await sell(1), 201);
  await page.waitForSelector('[data-capacity-alarm="type:adult"][data-level="full"]', { timeout: 20_000 });
  assert.match(await text('[data-capacity-alarm="type:adult"] [data-message]'), '成人票今日已售罄（5/5）');
  assert.ok(await page.$('[data-capacity-ack="type:adult"]'), 'the full alarm is open, to acknowledge');
  await page.screenshot({ path: new URL('../docs/console-live-capacity.png', import.meta.url).pathname, fullPage: false });
});

test.run();
