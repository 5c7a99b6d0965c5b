import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TEMPLATE, ticketPreviewPng, type TicketPrintData } from '../shared/template/index.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { provision } from './support/provision.ts';
import { pngToY4m, startHandheld } from './support/handheld.ts';

/**
 * The handheld's camera in real Chromium, which has no BarcodeDetector on Linux: the page
 * decodes frames with the bundled ZXing. The camera is Chromium's fake capture device playing
 * a video made here from a real ticket as printed (the default template's QR; a template with
 * the ticket's CODE128 barcode), offline, and the page admits the ticket it sees, once.
 */
const cloud = await startTestCloud();
const dir = mkdtempSync(join(tmpdir(), 'tk-camera-'));
const closers: (() => Promise<void>)[] = [];

test.after(async () => {
  for (const c of closers) await c();
  await cloud.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function printed(name: string, template: typeof DEFAULT_TEMPLATE, data: TicketPrintData): Promise<string> {
  const png = join(dir, `${name}.png`);
  writeFileSync(png, await ticketPreviewPng(template, data, { timeZone: 'Asia/Shanghai' }));
  const y4m = join(dir, `${name}.y4m`);
  pngToY4m(png, y4m);
  return y4m;
}

const data = (t: { id: string; code: string }, barcode?: string): TicketPrintData => ({
  ticketId: t.id, code: t.code, typeName: '游船票', priceFen: 5000, validFrom: Date.now(), validUntil: Date.now() + 86_400_000,
  persons: 1, entries: 1, orderNo: 'T1', siteName: '演示景区', issuedAt: Date.now(), ...(barcode ? { barcode } : {}),
});

async function handheldOn(device: string, camera: string) {
  const hh = await startHandheld('demo', device, { camera });
  closers.push(() => hh.browser.close());
  await hh.page.goto(`${cloud.url}/handheld.html`);
  await hh.page.waitForSelector('body[data-ready="1"]');
  await waitFor('the first sync', async () => Number(await hh.page.getAttribute('#hh-status', 'data-checkpoint')) > 0);
  // The network cut: the camera, the cache and the rule engine are all on the phone.
  await hh.browser.context.setOffline(true);
  await hh.page.evaluate(`window.dispatchEvent(new Event('offline'))`);
  return hh;
}

async function uploaded(hh: Awaited<ReturnType<typeof handheldOn>>) {
  await hh.browser.context.setOffline(false);
  await hh.page.evaluate(`window.dispatchEvent(new Event('online'))`);
  await waitFor('the outbox uploaded', async () => (await hh.page.getAttribute('#hh-status', 'data-outbox')) === '0', 15_000);
}

test('a printed ticket\'s QR seen by the camera: admitted offline, then refused as used; HQ has the entry once', async () => {
  await provision(cloud.url, 'demo', [{ device: 'hh-cam', role: 'handheld', lanes: ['pier'] }, { device: 'hh-cam2', role: 'handheld', lanes: ['pier-2'] }]);
  // Valid two days: the page judges by the browser's clock, and a run across the site's midnight
  // (16:00 UTC) must not find the ticket expired on the second scan.
  assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: { code: 'boat', name: '游船票', priceFen: 5000, validityDays: 2, entries: 1, persons: 1, rules: { kind: 'visitor' } } })).status, 201);
  const [qr] = (await api(cloud.url, '/api/v1/sales', { body: { type: 'boat', quantity: 1 } })).body.tickets as { id: string; code: string }[];
  const hh = await handheldOn('hh-cam', await printed('qr', DEFAULT_TEMPLATE, data(qr!)));

  const first = await hh.scanCamera();
  assert.ok(first.ok, first.text);
  assert.match(first.text, /放行/);
  assert.is(await hh.page.isHidden('#hh-video'), true, 'the camera is put away after a read');
  // The same ticket held up again: read again, refused as used.
  const again = await hh.scanCamera();
  assert.not.ok(again.ok);
  assert.is(again.reason, 'used');

  await uploaded(hh);
  const mine = (await api(cloud.url, '/api/v1/entries?limit=100')).body.items.filter((e: { device: string }) => e.device === 'hh-cam');
  assert.equal(mine.map((e: { ticketId: string }) => e.ticketId), [qr!.id]);
});

test('a ticket\'s printed CODE128 barcode seen by the camera: admitted (the sale\'s bound barcode)', async () => {
  const [t] = (await api(cloud.url, '/api/v1/sales', { body: { type: 'boat', quantity: 1 } })).body.tickets as { id: string; code: string }[];
  const barcode = '6901234567892';
  assert.is((await api(cloud.url, `/api/v1/tickets/${t!.id}/credentials`, { body: { kind: 'barcode', value: barcode } })).status, 201);
  const template = { paper: 80 as const, elements: [{ kind: 'field' as const, field: 'typeName' as const, align: 'center' as const }, { kind: 'barcode' as const, source: 'barcode' as const, moduleWidth: 3, height: 120, align: 'center' as const }] };
  const hh = await handheldOn('hh-cam2', await printed('barcode', template, data(t!, barcode)));

  const seen = await hh.scanCamera();
  assert.ok(seen.ok, seen.text);
  await uploaded(hh);
  const mine = (await api(cloud.url, '/api/v1/entries?limit=100')).body.items.filter((e: { device: string }) => e.device === 'hh-cam2');
  assert.equal(mine.map((e: { ticketId: string }) => e.ticketId), [t!.id]);
});

test('a new handheld reads its setup QR from the 设备登记 screen with the camera; a gate\'s setup code is refused with a reason', async () => {
  await provision(cloud.url, 'demo', [{ device: 'hh-new', role: 'handheld', lanes: ['quay'] }, { device: 'gate-x', role: 'gate', lanes: ['east'] }]);
  const issue = async (device: string, role: string) => {
    const r = await api(cloud.url, '/api/v1/device-credentials', { body: { site: 'demo', device, role } });
    assert.is(r.status, 201, JSON.stringify(r.body));
    return r.body as { setupCode: string; setupQr: string };
  };
  const mine = await issue('hh-new', 'handheld');
  const png = join(dir, 'setup.png');
  writeFileSync(png, Buffer.from(mine.setupQr.split(',')[1]!, 'base64'));
  const y4m = join(dir, 'setup.y4m');
  pngToY4m(png, y4m);
  const hh = await startHandheld('demo', 'hh-new', { camera: y4m, setup: false });
  closers.push(() => hh.browser.close());
  await hh.page.goto(`${cloud.url}/handheld.html`);
  await hh.page.waitForSelector('#hh-setup');

  // The PDA's scanner types another device's code into the setup field: refused, saying whose it is.
  await hh.page.fill('#hh-setup-code', (await issue('gate-x', 'gate')).setupCode);
  await hh.page.press('#hh-setup-code', 'Enter');
  assert.match(await hh.page.innerText('#hh-setup-error'), '这是闸机「gate-x」的设置码');
  await hh.page.screenshot({ path: 'docs/handheld-setup.png' });
  await hh.page.fill('#hh-setup-code', 'TKS1:not-a-code');
  await hh.page.press('#hh-setup-code', 'Enter');
  assert.match(await hh.page.innerText('#hh-setup-error'), '这不是设备设置码');

  // The camera: set up, synced, checking at its lane.
  await hh.page.click('#hh-setup-camera');
  await hh.page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
  await waitFor('the first sync', async () => Number(await hh.page.getAttribute('#hh-status', 'data-checkpoint')) > 0);
  assert.match(await hh.page.innerText('#hh-status'), '通道 quay');
  const saved = JSON.parse(await hh.page.evaluate(`localStorage.getItem('tk.handheld')`) as string);
  assert.equal([saved.site, saved.device, saved.base], ['demo', 'hh-new', '']);
});

test.run();
