import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SiteHub } from '../edge/hub/hub.ts';
import { api, startTestCloud, TEST_ADMIN_PASSWORD, testLog, waitFor } from './support/cloud.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { hubApi, hubConfigVia, hubLogin, stopHubSite, wanTo } from './support/hub.ts';
import { cash, must, seedOffice } from './support/office.ts';
import { provision } from './support/provision.ts';

type Cloud = Awaited<ReturnType<typeof startTestCloud>>;
const rows = async <T>(cloud: Cloud, q: ReturnType<typeof sql>) => ((await cloud.ctx!.db.execute(q)) as unknown as { rows: T[] }).rows;

/**
 * The conflicts of an outage, each decided by its rule (README, "Conflicts, decided"): a
 * refund at the hub reaches the gates before HQ; a price changed at HQ; a seller switched off
 * at HQ; a hub ticket refunded at HQ.
 */
test('conflicts of an outage are decided, not lost', async () => {
  const cloud = await startTestCloud();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hubconflict-'));
  const wan = await wanTo(cloud);
  let hub: SiteHub | undefined;
  let gate: TestGate | undefined;
  try {
    await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }, { device: 'gate-1', lanes: ['lane-1'] }]);
    const { sellers } = await seedOffice(cloud.url);
    hub = new SiteHub(hubConfigVia(dataDir, wan, { window: { syncIntervalMs: 200, kitEveryMs: 1000 } }), testLog.child('hub'));
    await hub.start();
    const h = hub;
    gate = await startTestGate({ device: 'gate-1', lane: 'lane-1', mqttUrl: h.mqttUrl, cloudUrl: h.url });
    const g = gate;
    const delegation = await waitFor('delegated', () => h.state().window?.delegation);
    await waitFor('the gate trusts the hub\'s key', () => g.agent.store.keyring.has(delegation.keyId));
    const seller = await hubLogin(h, 'seller2', 'seller2-password');
    must(await hubApi(h, '/shifts', { token: seller, body: { floatFen: 0 } }), 201);
    const admin = await hubLogin(h, 'admin', TEST_ADMIN_PASSWORD);
    must(await hubApi(h, '/shifts', { token: admin, body: { floatFen: 0 } }), 201);
    // Sold with the line up, at HQ before the outage.
    const early = must(await hubApi(h, '/orders', { token: admin, key: 'early', body: { lines: [{ type: 'child', quantity: 1 }], payments: [cash(6000)] } }), 201);
    await waitFor('early at HQ', () => h.state().window!.journal.pending === 0);

    for (const l of wan) l.cut();
    await waitFor('hub cut off', () => !h.state().upstream);

    // 1. A refund at the hub, offline: the site's gates refuse the ticket before HQ hears of it.
    const r = must(await hubApi(h, '/orders', { token: admin, key: 'r', body: { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } }), 201);
    const rTicket = r.lines[0].tickets[0];
    must(await hubApi(h, `/orders/${r.id}/refunds`, { token: admin, body: { method: 'cash', reason: '游客改变行程' } }), 201);
    await waitFor('the gate holds the hub\'s revocation', () => g.agent.store.revokedReason(rTicket.id) === 'refunded');
    const refused = await g.agent.present(rTicket.code);
    assert.is(refused.admit, false);
    assert.ok(h.state().window!.journal.pending >= 2, 'HQ has not heard of it');

    // 2. A price changed at HQ during the outage: the hub sells at the price it holds.
    must(await api(cloud.url, '/api/v1/ticket-types/adult', { method: 'PATCH', body: { priceFen: 15000 } }), 200);
    const p = must(await hubApi(h, '/orders', { token: seller, key: 'p', body: { lines: [{ type: 'adult', quantity: 2 }], payments: [cash(24000)] } }), 201);

    // 3. The seller is switched off at HQ while the hub cannot hear it; they sell on.
    must(await api(cloud.url, `/api/v1/users/${sellers[1]!.id}`, { method: 'PATCH', body: { active: false } }), 200);
    const u = must(await hubApi(h, '/orders', { token: seller, key: 'u', body: { lines: [{ type: 'child', quantity: 1 }], payments: [cash(6000)] } }), 201);

    // 4. HQ refunds a ticket the hub sold (the visitor called HQ): the hub does not know yet.
    must(await api(cloud.url, `/api/v1/orders/${early.id}/refunds`, { body: { tickets: [early.lines[0].tickets[0].id], method: 'cash', reason: '总部退票' } }), 201);
    assert.is(g.agent.store.revokedReason(early.lines[0].tickets[0].id), null, 'not at the gate while the line is down');

    for (const l of wan) l.restore();
    await waitFor('HQ holds the whole journal', () => h.state().window!.journal.pending === 0 && h.state().upstream, 20_000);

    // 1. HQ took the refund: the ticket is revoked there, and the gate's copy now has HQ's own revocation.
    const rAtHq = must(await api(cloud.url, `/api/v1/orders/${r.id}`), 200);
    assert.is(rAtHq.netFen, 0);
    assert.is(rAtHq.lines[0].tickets[0].revoked, 'refunded');
    // 2. Recorded at the price the visitor paid, the difference flagged for finance.
    const pAtHq = must(await api(cloud.url, `/api/v1/orders/${p.id}`), 200);
    assert.is(pAtHq.totalFen, 24000);
    assert.is(pAtHq.lines[0].unitPriceFen, 12000);
    const [price] = await rows<{ body: { hubListFen: number; hqListFen: number; differenceFen: number } }>(cloud, sql`select body from audit_log where action = 'hub_price_conflict' and body->>'orderId' = ${p.id}`);
    assert.equal({ hub: price!.body.hubListFen, hq: price!.body.hqListFen, diff: price!.body.differenceFen }, { hub: 12000, hq: 15000, diff: 6000 });
    // 3. The switched-off seller's sale is recorded (the money was taken), and flagged; the hub refuses them from its next kit on.
    must(await api(cloud.url, `/api/v1/orders/${u.id}`), 200);
    // (Both of their outage sales arrived after the switch-off: both are flagged.)
    const inactive = await rows<{ subject: string }>(cloud, sql`select subject from audit_log where action = 'hub_inactive_seller' order by subject`);
    assert.equal(inactive.map((x) => x.subject), [p.id, u.id].sort());
    await waitFor('the seller is refused at the hub', async () => (await hubApi(h, '/auth/me', { token: seller })).status === 401, 10_000);
    // 4. HQ's refund stands; its revocation reaches the gate through the hub once the line is back.
    await waitFor('HQ\'s revocation at the gate', () => g.agent.store.revokedReason(early.lines[0].tickets[0].id) !== null, 10_000);
    assert.is((await g.agent.present(early.lines[0].tickets[0].code)).admit, false);
    const books = await rows<{ net: string }>(cloud, sql`select sum(p.amount_fen)::text net from payments p join orders o on o.id = p.order_id where o.site = 'demo'`);
    assert.is(Number(books[0]!.net), 6000 + 12000 - 12000 + 24000 + 6000 - 6000, 'HQ\'s books to the fen');
    assert.ok(must(await api(cloud.url, '/api/v1/audit/verify'), 200).ok);
  } finally {
    await gate?.cleanup();
    await stopHubSite({ hub, wan, cloud, dataDir });
  }
});

test.run();
