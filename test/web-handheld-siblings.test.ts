import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { testDeviceHeader } from './support/devices.ts';
import { provision } from './support/provision.ts';
import { startHandheld } from './support/handheld.ts';

/**
 * The handheld hears its siblings (issue #25): a ticket a gate admitted (its upload to HQ, the
 * same /sync/up with the gate's own credential) reaches the handheld through
 * GET /api/v1/sync/entries, joins the ticket's history in IndexedDB, and the gates' rule engine
 * in the browser refuses it as used, online and, with what it last heard, offline.
 */
const cloud = await startTestCloud();
const { browser, page, scan } = await startHandheld('demo', 'hh-2');

test.after(async () => {
  await browser.close();
  await cloud.cleanup();
});

const siblings = async () => Number(await page.getAttribute('#hh-counter', 'data-siblings'));

/** gate-1 admits a ticket and uploads it as a gate's batch over HTTP. */
const epoch = randomUUID();
let seq = 0;
async function gateAdmits(ticketId: string, device = 'gate-1', lane = 'east'): Promise<void> {
  const now = Date.now();
  seq++;
  const batch = { device, epoch, firstSeq: seq, lastSeq: seq, entries: [{ nonce: randomUUID(), ticketId, persons: 1, lane, venue: 'main', direction: 'in', kind: 'normal', deviceTime: now, correctedTime: now }] };
  const res = await fetch(`${cloud.url}/api/v1/sync/up`, { method: 'POST', headers: { ...testDeviceHeader('demo', device), 'content-type': 'application/json' }, body: JSON.stringify(batch) });
  assert.is(res.status, 200, await res.clone().text());
  assert.is(((await res.json()) as { upTo: number }).upTo, seq);
}

test('a ticket a gate admitted is refused at the handheld as used, online and then offline', async () => {
  await provision(cloud.url, 'demo', [{ device: 'hh-2', role: 'handheld', lanes: ['pier'] }, { device: 'gate-1', lanes: ['east'] }]);
  // Valid two days: the page judges by the browser's clock, and a run across the site's midnight
  // (16:00 UTC) must not find the ticket expired on the second scan.
  assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: { code: 'boat', name: '游船票', priceFen: 5000, validityDays: 2, entries: 1, persons: 1, rules: { kind: 'visitor' } } })).status, 201);
  const sold = (await api(cloud.url, '/api/v1/sales', { body: { type: 'boat', quantity: 3 } })).body.tickets as { id: string; code: string }[];
  const [atGate, fresh, later] = sold as [typeof sold[0], typeof sold[0], typeof sold[0]];

  await page.goto(`${cloud.url}/handheld.html`);
  await page.waitForSelector('body[data-ready="1"]');
  await waitFor('the first sync', async () => Number(await page.getAttribute('#hh-status', 'data-checkpoint')) > 0);
  assert.is(await siblings(), 0);

  await gateAdmits(atGate.id);
  await page.click('#hh-sync');
  await waitFor('the gate\'s entry heard', async () => (await siblings()) === 1, 10_000);
  assert.match(await page.textContent('#hh-counter') ?? '', /邻机 1/);
  const used = await scan(atGate.code);
  assert.not.ok(used.ok, used.text);
  assert.is(used.reason, 'used');
  assert.match(used.text, /票已用完/);
  // Heard again on the next poll (the overlap): kept once, counted once.
  await page.click('#hh-sync');
  await new Promise((r) => setTimeout(r, 500));
  assert.is(await siblings(), 1);

  // Offline (and reloaded from the service worker's copy): it decides on what it last heard.
  await browser.context.setOffline(true);
  await page.evaluate(`window.dispatchEvent(new Event('offline'))`);
  await gateAdmits(later.id); // the handheld cannot hear this one now
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]');
  assert.is((await scan(atGate.code)).reason, 'used');
  assert.ok((await scan(fresh.code)).ok, 'a ticket nobody used is let through');
  assert.is(await siblings(), 1);

  // Back online: the missed entry is heard, and the ticket is used here too.
  await browser.context.setOffline(false);
  await page.evaluate(`window.dispatchEvent(new Event('online'))`);
  await waitFor('the missed entry heard', async () => (await siblings()) === 2, 15_000);
  assert.is((await scan(later.code)).reason, 'used');
});

test('siblings\' entries: a device credential of the site, never its own entries, only its venues', async () => {
  const ask = (headers: Record<string, string>, site = 'demo') => fetch(`${cloud.url}/api/v1/sync/entries?site=${site}&since=0`, { headers });
  assert.is((await ask({})).status, 401);
  const gate = await (await ask(testDeviceHeader('demo', 'gate-1'))).json() as { items: { device: string }[] };
  assert.ok(gate.items.length >= 1 && gate.items.every((e) => e.device === 'hh-2'), 'the gate hears the handheld, not itself');
  const hh = await (await ask(testDeviceHeader('demo', 'hh-2', 'handheld'))).json() as { items: { device: string; receivedAt: number }[]; next: string | null };
  assert.is(hh.items.length, 2);
  assert.ok(hh.items.every((e) => e.device === 'gate-1'));
  // Paged by (received, nonce): one at a time comes to the same two.
  const one = await (await fetch(`${cloud.url}/api/v1/sync/entries?site=demo&since=0&limit=1`, { headers: testDeviceHeader('demo', 'hh-2', 'handheld') })).json() as { items: unknown[]; next: string };
  assert.is(one.items.length, 1);
  const two = await (await fetch(`${cloud.url}/api/v1/sync/entries?site=demo&since=0&limit=1&after=${one.next}`, { headers: testDeviceHeader('demo', 'hh-2', 'handheld') })).json() as { items: unknown[]; next: string | null };
  assert.equal([...one.items, ...two.items], hh.items);
  assert.is(two.next, null);
  // A gate at another venue of the site (the lake) hears nothing of the main venue's entries.
  assert.is((await api(cloud.url, '/api/v1/sites/demo/venues/lake', { method: 'PUT', body: { name: '湖区' } })).status, 200);
  assert.is((await api(cloud.url, '/api/v1/sites/demo/lanes/lake-1', { method: 'PUT', body: { venue: 'lake' } })).status, 200);
  await provision(cloud.url, 'demo', [{ device: 'lake-gate', lanes: ['lake-1'] }]);
  assert.equal(((await (await ask(testDeviceHeader('demo', 'lake-gate'))).json()) as { items: unknown[] }).items, []);
  // Its own site only.
  assert.is((await ask(testDeviceHeader('demo', 'hh-2', 'handheld'), 'other')).status, 403);
});

test.run();
