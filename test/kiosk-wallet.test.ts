import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestKiosk, type TestKiosk } from '../edge/kiosk/testing/kiosk.ts';
import { startBrowser } from './support/browser.ts';
import { api, startTestCloud } from './support/cloud.ts';
import { provision } from './support/provision.ts';

/**
 * The one-card at the self-service kiosk, a real kiosk agent against a real HQ: a visitor reads
 * a new wristband, pays deposit and balance with a payment code and gets a receipt; tops it up
 * later; a declined code charges nothing; a retried payment is one charge and one movement;
 * the money is on HQ's books as mobile payment, so the exit desk gives it back that way.
 */
const cloud = await startTestCloud();
await provision(cloud.url, 'demo', [{ device: 'kiosk-1', role: 'kiosk' }]);
let kiosk: TestKiosk;
const OK = '134567890123456780';
const DECLINED = '134567890123456784';
// The receipts as printed (the simulated printer decodes GB18030: ¥ comes out as ￥).
const receipts = (from: number) => kiosk.printer.jobs.slice(from).map((j) => j.page.items.filter((i) => i.kind === 'text').map((i) => (i as { text: string }).text).join('|'));

test.before(async () => {
  kiosk = await startTestKiosk({ cloudUrl: cloud.url, wallet: { depositFen: 3000, topUpsFen: [5000, 10_000] } });
});
test.after(async () => {
  await kiosk.stop();
  await cloud.cleanup();
});

test('a new band: deposit and balance paid by payment code, receipt printed, the wallet open at HQ', async () => {
  const band = await kiosk.call('GET', '/api/wallet/bands/a1b2c3d4');
  assert.is(band.status, 200, JSON.stringify(band.body));
  assert.equal(band.body, { bandUid: 'A1B2C3D4', state: 'new', balanceFen: 0, depositFen: 0, newDepositFen: 3000, topUpsFen: [5000, 10_000] });
  assert.is((await kiosk.call('GET', '/api/wallet/bands/nonsense')).body.error.code, 'invalid_band');

  // A declined code: nothing charged, nothing issued, the attempt over.
  const no = await kiosk.call('POST', '/api/wallet', { bandUid: 'A1B2C3D4', topUpFen: 5000 });
  assert.is(no.body.amountFen, 8000);
  const declined = await kiosk.call('POST', `/api/wallet/${no.body.attemptId}/pay`, { authCode: DECLINED });
  assert.is(declined.status, 402);
  assert.is(declined.body.error.code, 'payment_failed');
  assert.is((await api(cloud.url, '/api/v1/wallets/bands/A1B2C3D4')).status, 404, 'no wallet for a declined payment');

  const jobs0 = kiosk.printer.jobs.length;
  const start = await kiosk.call('POST', '/api/wallet', { bandUid: 'A1B2C3D4', topUpFen: 5000 });
  assert.equal({ kind: start.body.kind, depositFen: start.body.depositFen, amountFen: start.body.amountFen }, { kind: 'issue', depositFen: 3000, amountFen: 8000 });
  const paid = await kiosk.call('POST', `/api/wallet/${start.body.attemptId}/pay`, { authCode: OK });
  assert.is(paid.status, 200, JSON.stringify(paid.body));
  assert.equal({ balanceFen: paid.body.balanceFen, depositFen: paid.body.depositFen, printed: paid.body.printed }, { balanceFen: 5000, depositFen: 3000, printed: true });
  const [receipt] = receipts(jobs0);
  assert.ok(receipt, 'a receipt came out');
  for (const want of ['一卡通', 'A1B2C3D4', '押金 Deposit: ￥30.00', '余额 Balance: ￥50.00', '￥80.00']) assert.ok(receipt!.includes(want), `${want} in ${receipt}`);

  // The same attempt paid again (a lost answer): the same charge, no second movement, no second receipt.
  const again = await kiosk.call('POST', `/api/wallet/${start.body.attemptId}/pay`, { authCode: OK });
  assert.is(again.body.balanceFen, 5000);
  assert.is(kiosk.printer.jobs.length, jobs0 + 1);
  const w = (await api(cloud.url, '/api/v1/wallets/bands/A1B2C3D4')).body;
  assert.equal({ state: w.state, balanceFen: w.balanceFen, depositFen: w.depositFen, site: w.site }, { state: 'open', balanceFen: 5000, depositFen: 3000, site: 'demo' });
});

test('an open band topped up at the kiosk; the exit desk refunds it the way it was paid', async () => {
  const band = await kiosk.call('GET', '/api/wallet/bands/A1B2C3D4');
  assert.equal({ state: band.body.state, balanceFen: band.body.balanceFen }, { state: 'open', balanceFen: 5000 });
  const start = await kiosk.call('POST', '/api/wallet', { bandUid: 'A1B2C3D4', topUpFen: 10_000 });
  assert.equal({ kind: start.body.kind, amountFen: start.body.amountFen }, { kind: 'topup', amountFen: 10_000 });
  const jobs0 = kiosk.printer.jobs.length;
  const paid = await kiosk.call('POST', `/api/wallet/${start.body.attemptId}/pay`, { authCode: OK });
  assert.is(paid.status, 200, JSON.stringify(paid.body));
  assert.is(paid.body.balanceFen, 15_000);
  assert.match(receipts(jobs0)[0]!, '充值 Top-up: ￥100.00', 'the printer\'s GB18030 yen sign');
  // A band blocked meanwhile is not topped up (refused before charging).
  const w = (await api(cloud.url, '/api/v1/wallets/bands/A1B2C3D4')).body;
  const late = await kiosk.call('POST', '/api/wallet', { bandUid: 'A1B2C3D4', topUpFen: 5000 });
  assert.is((await api(cloud.url, `/api/v1/wallets/${w.id}/lost`, { body: {} })).status, 200);
  const blocked = await kiosk.call('POST', `/api/wallet/${late.body.attemptId}/pay`, { authCode: OK });
  assert.is(blocked.status, 409);
  assert.is(blocked.body.error.code, 'band_blocked');
  assert.is((await api(cloud.url, `/api/v1/wallets/${w.id}`)).body.balanceFen, 15_000, 'nothing credited to a blocked band');
  // Settled at the exit, the deposit kept as the lost band's fee: 150 yuan go back to the mobile payment it came from.
  const settled = await api(cloud.url, `/api/v1/wallets/${w.id}/settle`, { body: { refundTo: 'original' }, headers: { 'Idempotency-Key': 'kiosk-wallet-settle' } });
  assert.is(settled.status, 200, JSON.stringify(settled.body));
  assert.equal(settled.body.refund, [{ method: 'mobile', amountFen: 15_000 }]);
  assert.is(settled.body.bandFeeFen, 3000);
});

test('the touch page: a new band read, a top-up chosen, paid, the receipt asked for (Chromium)', async () => {
  const browser = await startBrowser();
  try {
    const page = browser.page;
    await page.goto(`${kiosk.agent.url}/`);
    await page.click('#go-wallet');
    await page.fill('#band', 'b1b2b3b4');
    await page.click('#wallet-read');
    await page.waitForSelector('.topup[data-fen="10000"]');
    assert.match((await page.textContent('#wallet-state')) ?? '', '押金 ¥30.00');
    assert.is((await page.textContent('.topup[data-fen="10000"]'))?.trim(), '充值 ¥100.00 + 押金 ¥30.00');
    await page.click('.topup[data-fen="10000"]');
    await page.waitForSelector('#pay.active');
    assert.is((await page.textContent('#pay-amount'))?.trim(), '¥130.00');
    await page.fill('#authcode', OK);
    await page.click('#pay-submit');
    await page.waitForSelector('#done.active');
    assert.is((await page.textContent('#done-text'))?.trim(), '已支付 ¥130.00，腕带余额 ¥100.00，请取走凭条');
    const w = (await api(cloud.url, '/api/v1/wallets/bands/B1B2B3B4')).body;
    assert.equal({ balanceFen: w.balanceFen, depositFen: w.depositFen }, { balanceFen: 10_000, depositFen: 3000 });
  } finally {
    await browser.close();
  }
});

test.run();
