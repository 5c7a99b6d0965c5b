import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PrintBridge } from '../edge/print-bridge/bridge.ts';
import { parseBridgeConfig } from '../edge/print-bridge/config.ts';
import { INS } from '../hardware/fingerprint/protocol.ts';
import { FingerprintSim, simTemplate } from '../hardware/fingerprint/sim.ts';
import { openPtyPair } from '../hardware/testing/pty.ts';
import { openWindowShift, startBrowserWithBridge } from './support/browser.ts';
import { api, startTestCloud } from './support/cloud.ts';
import { ANNUAL_MEMBER, must, seedOffice } from './support/office.ts';
import { testHqHeader } from './support/devices.ts';

/**
 * 录指纹 at the window, in real Chromium: the member card screen asks the window PC's bridge to
 * enrol (the R30x simulator behind a socat pseudo-terminal, as the module on a USB serial
 * line), the page prompts 请按手指 then 请再按一次 as the visitor presses, and HQ binds the
 * template to the card's ticket. A missing finger and a poor press are said in Chinese.
 */
const cloud = await startTestCloud();
const office = await seedOffice(cloud.url);
const seller = office.sellers[0]!;
must(await api(cloud.url, '/api/v1/ticket-types', { body: ANNUAL_MEMBER }), 201);
const pty = await openPtyPair();
const sim = new FingerprintSim({ path: pty.b, baudRate: 57600 });
await sim.start();
const browser = await startBrowserWithBridge(cloud.url, { bridge: { fingerprint: { driver: 'r30x', path: pty.a, pollMs: 20, captureTimeoutMs: 1500 } } });
const { bridge } = browser;
const page = browser.page;
// The visitor lifts the finger once the module has read it.
sim.on('command', ({ ins }) => { if (ins === INS.img2Tz) sim.lift(); });

test.after(async () => {
  await browser.close();
  await sim.stop();
  await pty.close();
  await cloud.cleanup();
});

/** Sells `n` adult tickets (¥120 each) at the window for cash. */
async function sellAdults(n: number): Promise<void> {
  await page.click('[data-menu="/window/sell"]');
  await page.waitForSelector('button.type[data-type="adult"]');
  await page.keyboard.type(String(n));
  await page.keyboard.press('F1');
  await page.waitForSelector(`[data-total]:has-text("${n * 120}.00")`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#pay-tendered-0:focus');
  await page.keyboard.type(String(n * 120));
  await page.keyboard.press('Enter');
}

const status = () => page.textContent('[data-finger-status]').then((s) => s?.trim() ?? '');

test('a member card: no finger, a poor press, then two presses bind the template to the card\'s ticket', async () => {
  await openWindowShift(page, cloud.url, seller.username);
  const issued = must(await api(cloud.url, '/api/v1/members/cards', {
    token: seller.token, body: { member: { name: '赵敏', phone: '13700001234' }, type: 'annual', kind: 'annual', payment: { method: 'cash' } },
  }), 201);
  const ticketId = must(await api(cloud.url, `/api/v1/members/cards/${issued.cardNo}`, { token: seller.token }), 200).ticket.id as string;
  assert.is((await api(cloud.url, `/api/v1/tickets/${ticketId}/fingerprint`)).status, 404);

  await page.click('[data-menu="/window/members"]');
  await page.fill('#member-query', issued.cardNo);
  await page.click('#member-find');
  await page.click(`[data-member-cards] .el-table__row:has-text("${issued.cardNo}")`);
  await page.waitForSelector('[data-card] [data-finger-enrol]');

  // Nobody presses: the module gives up, and the seller is told why.
  await page.click('[data-finger-enrol]');
  await page.waitForSelector('[data-finger-status]:has-text("请按手指")');
  await page.waitForSelector('[data-finger-status]:has-text("未检测到手指")', { timeout: 10_000 });

  // A smudged finger.
  await page.click('[data-finger-enrol]');
  await page.waitForSelector('[data-finger-status]:has-text("请按手指")');
  sim.place({ id: 'zhao', quality: 'poor' });
  await page.waitForSelector('[data-finger-status]:has-text("指纹不清晰")', { timeout: 10_000 });
  sim.lift();
  assert.is((await api(cloud.url, `/api/v1/tickets/${ticketId}/fingerprint`)).status, 404, 'nothing bound after failures');

  // Two good presses, each after its prompt.
  await page.click('[data-finger-enrol]');
  await page.waitForSelector('[data-finger-status]:has-text("请按手指")');
  sim.place({ id: 'zhao' });
  await page.waitForSelector('[data-finger-status]:has-text("请再按一次")', { timeout: 10_000 });
  sim.place({ id: 'zhao' });
  await page.waitForSelector('[data-finger-status]:has-text("指纹已录入")', { timeout: 10_000 });
  assert.is(await status(), '指纹已录入');
  const bound = must(await api(cloud.url, `/api/v1/tickets/${ticketId}/fingerprint`), 200);
  assert.is(bound.format, 'r30x-512');
  assert.ok(bound.enrolledAt > Date.now() - 60_000);
  assert.not.ok('template' in bound, 'HQ never gives the template back');
});

test('a ticket just sold: 录指纹 beside the sale binds the finger to that ticket', async () => {
  await sellAdults(1);
  const button = await page.waitForSelector('[data-last-sale] [data-finger-enrol]');
  const ticketId = (await button.getAttribute('data-finger-enrol'))!;
  assert.is((await api(cloud.url, `/api/v1/tickets/${ticketId}/fingerprint`)).status, 404);
  await button.click();
  await page.waitForSelector('[data-last-sale] [data-finger-status]:has-text("请按手指")');
  sim.place({ id: 'sun' });
  await page.waitForSelector('[data-last-sale] [data-finger-status]:has-text("请再按一次")', { timeout: 10_000 });
  sim.place({ id: 'sun' });
  await page.waitForSelector('[data-last-sale] [data-finger-status]:has-text("指纹已录入")', { timeout: 10_000 });
  assert.is(must(await api(cloud.url, `/api/v1/tickets/${ticketId}/fingerprint`), 200).format, 'r30x-512');
});

test('a group sold a ticket each: each visitor\'s finger on their own ticket, in print order', async () => {
  await sellAdults(3);
  await page.waitForSelector('[data-last-sale] [data-group-fingers] li[data-visitor="3"]');
  assert.is(await page.locator('[data-last-sale] > div [data-finger-enrol]').count(), 0, 'no single-ticket button for a group');
  const ids: string[] = [];
  for (const n of [1, 2, 3]) ids.push((await page.getAttribute(`[data-group-fingers] li[data-visitor="${n}"] [data-finger-enrol]`, 'data-finger-enrol'))!);
  assert.is(new Set(ids).size, 3);
  // Visitors 1 and 2 press in turn; visitor 3 does not want to.
  for (const [n, finger] of [[1, 'li'], [2, 'wang']] as const) {
    const row = `[data-group-fingers] li[data-visitor="${n}"]`;
    await page.click(`${row} [data-finger-enrol]`);
    await page.waitForSelector(`${row} [data-finger-status]:has-text("请按手指")`);
    sim.place({ id: finger });
    await page.waitForSelector(`${row} [data-finger-status]:has-text("请再按一次")`, { timeout: 10_000 });
    sim.place({ id: finger });
    await page.waitForSelector(`${row} [data-finger-status]:has-text("指纹已录入")`, { timeout: 10_000 });
  }
  assert.is((await api(cloud.url, `/api/v1/tickets/${ids[2]}/fingerprint`)).status, 404);
  // Each ticket holds its own visitor's finger: the features of the template gates get for it.
  const log = new Map<string, string>();
  const page1 = must(await api(cloud.url, '/api/v1/sync/changes?site=demo&since=0&limit=5000', { token: null, headers: testHqHeader() }), 200);
  for (const c of page1.changes as { kind: string; ticketId: string; template: string | null }[]) if (c.kind === 'fingerprint' && c.template) log.set(c.ticketId, c.template);
  const features = (ticket: string) => Buffer.from(log.get(ticket) ?? '', 'base64').subarray(0, 256).toString('hex');
  assert.is(features(ids[0]!), simTemplate('li').subarray(0, 256).toString('hex'), 'visitor 1\'s finger on the first ticket');
  assert.is(features(ids[1]!), simTemplate('wang').subarray(0, 256).toString('hex'), 'visitor 2\'s finger on the second');
  assert.not.ok(log.has(ids[2]!));
});

test('the bridge answers the template (base64, 512 bytes) or a reason, never an image; without a module it says so', async () => {
  // The visitor presses, lifts (the shared listener), and presses again once the module waits.
  let reads = 0;
  let again = false;
  const onCommand = ({ ins }: { ins: number }) => {
    if (ins === INS.img2Tz) reads++;
    else if (ins === INS.genImg && reads === 1 && !again) { again = true; setTimeout(() => sim.place({ id: 'qian' }), 30); }
  };
  sim.on('command', onCommand);
  sim.place({ id: 'qian' });
  const res = await fetch(`${bridge.url}/fingerprint/enrol`, { method: 'POST', headers: { origin: cloud.url } });
  assert.is(res.headers.get('access-control-allow-origin'), cloud.url);
  const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { step?: string; ok?: boolean; template?: string });
  sim.off('command', onCommand);
  assert.equal(lines.map((l) => l.step), ['press', 'again', undefined]);
  const last = lines.at(-1)!;
  assert.ok(last.ok, JSON.stringify(last));
  assert.equal(Object.keys(last).sort(), ['format', 'ok', 'template'], 'a template, nothing else');
  assert.is(Buffer.from(last.template!, 'base64').length, 512);

  const bare = new PrintBridge(parseBridgeConfig({ printer: { driver: 'sim' }, http: { port: 0 }, allowOrigins: [cloud.url] }));
  await bare.start();
  try {
    const none = await fetch(`${bare.url}/fingerprint/enrol`, { method: 'POST' });
    assert.is(none.status, 404);
    assert.match(((await none.json()) as { error: { message: string } }).error.message, '本机未接指纹仪');
  } finally {
    await bare.stop();
  }
});

test.run();
