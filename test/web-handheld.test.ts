import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { build } from 'esbuild';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { provision } from './support/provision.ts';
import { startHandheld } from './support/handheld.ts';

/**
 * The handheld validator (web/handheld.html) in real Chromium against a real HQ: first sync
 * with its device credential, then the page's network cut, a QR code, a barcode and a used
 * ticket judged by the gates' rule engine in the browser, then back online: the outbox goes up
 * and HQ has each entry once. The shared decision table runs in the browser too.
 */
const cloud = await startTestCloud();
const { browser, page, scan } = await startHandheld('demo', 'hh-1');

test.after(async () => {
  await browser.close();
  await cloud.cleanup();
});

const status = async (key: string) => page.getAttribute('#hh-status', `data-${key}`);

test('sync, offline: QR, barcode and a used ticket judged in the browser; online again: HQ has each entry once', async () => {
  await provision(cloud.url, 'demo', [{ device: 'hh-1', role: 'handheld', lanes: ['pier'] }]);
  // Valid two days: the page judges by the browser's clock, and a run across the site's midnight
  // (16:00 UTC) must not find the ticket expired on the second scan.
  assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: { code: 'boat', name: '游船票', priceFen: 5000, validityDays: 2, entries: 1, persons: 1, rules: { kind: 'visitor' } } })).status, 201);
  const sold = (await api(cloud.url, '/api/v1/sales', { body: { type: 'boat', quantity: 3 } })).body.tickets as { id: string; code: string }[];
  const [qr, barcoded, other] = sold as [typeof sold[0], typeof sold[0], typeof sold[0]];
  assert.is((await api(cloud.url, `/api/v1/tickets/${barcoded.id}/credentials`, { body: { kind: 'barcode', value: '6901234567892' } })).status, 201);

  await page.goto(`${cloud.url}/handheld.html`);
  await page.waitForSelector('body[data-ready="1"]');
  await waitFor('the first sync', async () => Number(await status('checkpoint')) > 0);
  assert.match(await page.textContent('#hh-status') ?? '', /通道 pier/);
  // Installable: a manifest and a service worker controlling the page after a reload.
  const manifest = await (await fetch(`${cloud.url}/handheld.webmanifest`)).json() as { display: string; start_url: string };
  assert.is(manifest.display, 'standalone');
  await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]');
  assert.ok(await page.evaluate('navigator.serviceWorker.controller !== null'), 'the service worker serves the page');

  await browser.context.setOffline(true);
  await page.evaluate(`window.dispatchEvent(new Event('offline'))`);
  const a = await scan(qr.code);
  assert.ok(a.ok, a.text);
  assert.match(a.text, /放行/);
  const b = await scan('6901234567892');
  assert.ok(b.ok, b.text);
  const used = await scan(qr.code);
  assert.not.ok(used.ok);
  assert.is(used.reason, 'used');
  assert.match(used.text, /票已用完/);
  const forged = await scan(`${other.code.slice(0, 100)}${other.code[100] === 'A' ? 'B' : 'A'}${other.code.slice(101)}`);
  assert.is(forged.reason, 'forged');
  const unknown = await scan('NOSUCHCODE1');
  assert.is(unknown.reason, 'unknown');
  assert.match(unknown.text, /查无此票/);
  assert.match(await page.textContent('#hh-counter') ?? '', /放行 2/);
  assert.is(await status('outbox'), '2');

  // A reload while offline: the service worker's copy of the page, the IndexedDB cache: the ticket is still used.
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]');
  assert.is((await scan(qr.code)).reason, 'used');

  // Manual let-through with a reason: logged, and counted as a passage of the ticket last shown.
  await page.click('#hh-manual');
  await page.fill('#hh-manual-reason', '游客已购票，票码损坏');
  await page.click('#hh-manual-ok');
  await page.waitForSelector('#hh-result[data-reason="manual"]');
  assert.match(await page.textContent('#hh-counter') ?? '', /人工 1/);

  await browser.context.setOffline(false);
  await page.evaluate(`window.dispatchEvent(new Event('online'))`);
  await waitFor('the outbox uploaded', async () => (await status('outbox')) === '0', 15_000);
  await page.click('#hh-sync'); // once more: nothing new arrives twice
  await new Promise((r) => setTimeout(r, 500));
  const all = (await api(cloud.url, '/api/v1/entries?limit=100')).body.items as { ticketId: string; device: string; lane: string }[];
  const mine = all.filter((e) => e.device === 'hh-1');
  assert.is(mine.filter((e) => e.ticketId === qr.id).length, 2, 'the QR entry and the manual passage, once each');
  assert.is(mine.filter((e) => e.ticketId === barcoded.id).length, 1);
  assert.is(mine.length, 3);
  assert.ok(mine.every((e) => e.lane === 'pier'));

  mkdirSync('docs', { recursive: true });
  await scan('6901234567892'); // the screen as staff see it: the barcode already used
  await page.screenshot({ path: 'docs/handheld.png' });
});

test('the decision table runs in the browser build of the rule engine', async () => {
  const out = await build({
    stdin: {
      contents: `
        import { decideEntry } from './shared/rules/decide.ts';
        import { pickTicket } from './shared/rules/pick.ts';
        import { comparable, loadDecisionTable, loadPickTable, pickLabel, verdictPart } from './shared/rules/table.ts';
        window.runTable = () => {
          const failed = [];
          const cases = loadDecisionTable();
          for (const c of cases) if (JSON.stringify(comparable(decideEntry(c.question), c.expect)) !== JSON.stringify(c.expect)) failed.push(c.name);
          const picks = loadPickTable();
          for (const c of picks) {
            const pick = pickTicket(c.tickets.map((t) => t.question));
            const e = verdictPart(c.expect);
            if (pickLabel(c, pick.chosen.facts.ticketId) !== c.expect.ticket || JSON.stringify(comparable(pick.verdict, e)) !== JSON.stringify(e)) failed.push(c.name);
          }
          return { cases: cases.length, picks: picks.length, failed };
        };`,
      resolveDir: process.cwd(), loader: 'ts',
    },
    bundle: true, platform: 'browser', format: 'iife', write: false, target: 'chrome120',
  });
  const code = out.outputFiles[0]!.text;
  assert.not.match(code, /require\("node:/, 'no node module in the browser build');
  await page.goto(`${cloud.url}/handheld.html`);
  await page.addScriptTag({ content: code });
  const r = await page.evaluate('window.runTable()') as { cases: number; picks: number; failed: string[] };
  assert.ok(r.cases > 50, `${r.cases} cases`);
  assert.ok(r.picks > 0);
  assert.equal(r.failed, []);
});

test.run();
