import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SiteHub } from '../edge/hub/hub.ts';
import { api, startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { startTestGate } from './support/gate.ts';
import { startHandheld } from './support/handheld.ts';
import { hubConfigVia, wanTo } from './support/hub.ts';
import { provision } from './support/provision.ts';

/**
 * A handheld on the site's LAN with the hub, in real Chromium: the hub serves the page, its
 * lanes' change log and its siblings' entries from its own copy, and takes its uploads into
 * its durable queue to HQ. With the WAN cut, a ticket the handheld admits is refused as used
 * at a gate behind the same hub, and one the gate admits is refused at the handheld; when the
 * WAN is back HQ has each entry once.
 */
test('handheld through the hub: WAN cut, validate, gate hears it, handheld hears the gate; restore: HQ has each entry once', async () => {
  const cloud = await startTestCloud();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hub-hh-'));
  const wan = await wanTo(cloud);
  const closers: (() => Promise<unknown>)[] = [];
  try {
    await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }, { device: 'gate-1', lanes: ['lane-1'] }, { device: 'hh-1', role: 'handheld', lanes: ['pier'] }]);
    // Valid two days: the page judges by the browser's clock, and a run across the site's midnight
    // (16:00 UTC) must not find the ticket expired on the second scan.
    assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: { code: 'boat', name: '游船票', priceFen: 5000, validityDays: 2, entries: 1, persons: 1, rules: { kind: 'visitor' } } })).status, 201);
    const [a, b] = (await api(cloud.url, '/api/v1/sales', { body: { type: 'boat', quantity: 2 } })).body.tickets as { id: string; code: string }[];

    const hub = new SiteHub(hubConfigVia(dataDir, wan, { window: { webDir: join(new URL('..', import.meta.url).pathname, 'web/dist'), syncIntervalMs: 300 } }), testLog.child('hub'));
    await hub.start();
    closers.unshift(() => hub.stop());
    const gate = await startTestGate({ device: 'gate-1', lane: 'lane-1', mqttUrl: hub.mqttUrl, cloudUrl: hub.url });
    closers.unshift(() => gate.cleanup());
    await waitFor('the gate has the tickets through the hub', () => gate.agent.store.ticket(a!.id) && gate.agent.store.ticket(b!.id) && gate.agent.linkState.connected);

    const hh = await startHandheld('demo', 'hh-1');
    closers.unshift(() => hh.browser.close());
    const { page } = hh;
    // The page itself comes from the hub (the built app it serves to the site's windows).
    await page.goto(`${hub.url}/handheld.html`);
    await page.waitForSelector('body[data-ready="1"]');
    await waitFor('the handheld synced from the hub', async () => /票 2\b/.test(await page.textContent('#hh-status') ?? ''));
    assert.match(await page.textContent('#hh-status') ?? '', /通道 pier/);

    for (const l of wan) l.cut();
    await waitFor('the hub is cut off from HQ', () => !hub.state().upstream);

    const first = await hh.scan(a!.code);
    assert.ok(first.ok, first.text);
    // Acked by the hub (durable there) while HQ is out of reach.
    await waitFor('the hub took the handheld\'s upload', async () => (await page.getAttribute('#hh-status', 'data-outbox')) === '0');
    assert.ok(hub.state().queue.messages >= 1, 'waiting in the hub\'s queue for HQ');
    await waitFor('the gate heard the handheld over the hub', () => gate.agent.store.history(a!.id).length === 1);
    const atGate = await gate.agent.present(a!.code);
    assert.is(atGate.admit, false);
    assert.is(atGate.reason, 'used');

    const gateAdmits = await gate.agent.present(b!.code);
    assert.is(gateAdmits.admit, true, gateAdmits.message);
    await waitFor('the hub has the gate\'s entry', () => hub.state().queue.messages >= 2);
    await page.click('#hh-sync');
    await waitFor('the handheld heard the gate from the hub', async () => Number(await page.getAttribute('#hh-counter', 'data-siblings')) >= 1);
    const atHandheld = await hh.scan(b!.code);
    assert.is(atHandheld.reason, 'used');
    assert.is((await api(cloud.url, `/api/v1/entries?ticket=${a!.id}`)).body.items.length, 0, 'HQ has nothing while the WAN is down');

    for (const l of wan) l.restore();
    await waitFor('the hub\'s queue drained to HQ', () => hub.state().upstream && hub.state().queue.messages === 0, 15_000);
    await waitFor('HQ has both entries', async () => (await api(cloud.url, '/api/v1/entries?limit=100')).body.items.length >= 2, 10_000);
    await page.click('#hh-sync'); // a later round: nothing goes up twice
    await new Promise((r) => setTimeout(r, 800));
    const all = (await api(cloud.url, '/api/v1/entries?limit=100')).body.items as { ticketId: string; device: string; lane: string }[];
    assert.equal(all.map((e) => `${e.device}:${e.lane}:${e.ticketId}`).sort(), [`gate-1:lane-1:${b!.id}`, `hh-1:pier:${a!.id}`].sort());
  } finally {
    for (const c of closers) await c().catch(() => undefined);
    for (const l of wan) await l.stop();
    await cloud.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
