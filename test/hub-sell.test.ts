import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHubConfig } from '../edge/hub/config.ts';
import { SiteHub } from '../edge/hub/hub.ts';
import { readTicketCode } from '../shared/code/ticket-code.ts';
import { entryDigest, type JournalEntry } from '../shared/hub/journal.ts';
import { api, login, startTestCloud, TEST_ADMIN_PASSWORD, testLog, waitFor } from './support/cloud.ts';
import { testDeviceHeader, testSiteKey } from './support/devices.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { cash, must, seedOffice } from './support/office.ts';
import { provision } from './support/provision.ts';
import { LinkSim } from './tools/link-sim.ts';
import { hubApi, hubLogin, stopHubSite } from './support/hub.ts';

type Cloud = Awaited<ReturnType<typeof startTestCloud>>;

const rows = async <T>(cloud: Cloud, q: ReturnType<typeof sql>) => ((await cloud.ctx!.db.execute(q)) as unknown as { rows: T[] }).rows;

/** HQ's books for the site: orders, payments (net, to the fen), tickets, and the hub's entries. */
async function booksAtHq(cloud: Cloud) {
  const [o] = await rows<{ n: number }>(cloud, sql`select count(*)::int n from orders where site = 'demo'`);
  const [p] = await rows<{ n: number; net: string | null }>(cloud, sql`select count(*)::int n, sum(p.amount_fen)::text net from payments p join orders o on o.id = p.order_id where o.site = 'demo'`);
  const [t] = await rows<{ n: number; distinct: number }>(cloud, sql`select count(*)::int n, count(distinct id)::int distinct from tickets where site = 'demo'`);
  const [u] = await rows<{ n: number }>(cloud, sql`select count(*)::int n from hub_uploads where site = 'demo' and hub = 'hub-1'`);
  return { orders: o!.n, payments: p!.n, netFen: Number(p!.net ?? 0), tickets: t!.n, distinctTickets: t!.distinct, hubEntries: u!.n };
}

test('a day at a site whose ADSL drops at noon: the hub sells, the gate admits its codes offline, HQ takes every sale once when the line is back', async () => {
  const cloud = await startTestCloud();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hubsell-'));
  const wan = [
    new LinkSim({ target: { host: '127.0.0.1', port: cloud.mqttPort }, latencyMs: 30, upKbps: 512, downKbps: 2048 }),
    new LinkSim({ target: { host: '127.0.0.1', port: cloud.httpPort }, latencyMs: 30, upKbps: 512, downKbps: 2048 }),
  ] as const;
  let hub: SiteHub | undefined;
  let gate: TestGate | undefined;
  try {
    await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }, { device: 'gate-1', lanes: ['lane-1'] }]);
    const { sellers } = await seedOffice(cloud.url);
    // HQ's print template for adult tickets: the hub prints with it (from its copy of the change log).
    must(await api(cloud.url, '/api/v1/templates', { body: { code: 'adult-ticket', name: '成人票样式', type: 'adult', layout: { paper: 80, elements: [{ kind: 'field', field: 'typeName', label: '票种：' }, { kind: 'qr', moduleSize: 6, align: 'center' }] } } }), 201);
    for (const l of wan) await l.start();
    const config = parseHubConfig({
      hub: 'hub-1', site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
      upstream: { mqttUrl: `mqtt://127.0.0.1:${wan[0].port}`, cloudUrl: `http://127.0.0.1:${wan[1].port}` },
      pullIntervalMs: 300, statusIntervalMs: 1000, coalesceMs: 0, window: { syncIntervalMs: 300 },
    });
    hub = new SiteHub(config, testLog.child('hub'));
    await hub.start();
    const h = hub;
    gate = await startTestGate({ device: 'gate-1', lane: 'lane-1', mqttUrl: h.mqttUrl, cloudUrl: h.url });
    const g = gate;

    // Morning, line up: the hub has its kit and its key, delegated by HQ for this site only.
    const delegation = await waitFor('HQ delegated the hub its key', () => h.state().window?.delegation);
    assert.ok(delegation.notAfter > Date.now() + 2 * 86_400_000, 'trusted for days of outage');
    await waitFor('the gate trusts the hub\'s key (through the hub\'s copy of the change log)', () => g.agent.store.keyring.has(delegation.keyId));
    const [keyRow] = await rows<{ site: string; hub: string }>(cloud, sql`select site, hub from hub_keys where key_id = ${delegation.keyId}`);
    assert.equal(keyRow, { site: 'demo', hub: 'hub-1' });

    const seller = await hubLogin(h, 'seller1', 'seller1-password');
    const wrong = await hubApi(h, '/auth/login', { body: { username: 'seller1', password: 'nope' } });
    assert.is(wrong.status, 401);
    assert.is(wrong.body.error.message, '用户名或密码错误');
    const access = must(await hubApi(h, '/auth/access', { token: seller }), 200).rules as { prefix: string; allowed: boolean }[];
    assert.ok(access.some((r) => r.prefix === '/orders' && r.allowed));
    assert.not.ok(access.some((r) => r.prefix === '/reports'), 'finance screens stay at HQ');
    const atHqOnly = await hubApi(h, '/reports/daily', { token: seller });
    assert.is(atHqOnly.status, 404);
    assert.is(atHqOnly.body.error.code, 'not_at_hub');

    const noShift = await hubApi(h, '/orders', { token: seller, body: { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } });
    assert.is(noShift.body.error.code, 'no_open_shift');
    assert.is(noShift.body.error.message, '请先开班');
    const shift = must(await hubApi(h, '/shifts', { token: seller, body: { floatFen: 50000 } }), 201);

    const t0 = Date.now();
    const morning = must(await hubApi(h, '/orders', { token: seller, key: 'k-morning', body: { lines: [{ type: 'adult', quantity: 2 }], payments: [cash(24000, 30000)] } }), 201);
    assert.is(morning.payments[0].changeFen, 6000);
    await waitFor('with the line up the sale is at HQ within seconds', async () => (await api(cloud.url, `/api/v1/orders/${morning.id}`)).status === 200, 5000);
    const lineUpMs = Date.now() - t0;

    // Noon: the ADSL drops.
    for (const l of wan) l.cut();
    await waitFor('hub cut off from HQ', () => !h.state().upstream);
    const quote = must(await hubApi(h, '/quote', { token: seller, body: { lines: [{ type: 'adult', quantity: 1 }, { type: 'child', quantity: 1, discount: 'half' }] } }), 200);
    assert.is(quote.totalFen, 12000 + 3000);
    const a = must(await hubApi(h, '/orders', { token: seller, key: 'k-a', body: { lines: [{ type: 'adult', quantity: 1 }, { type: 'child', quantity: 1, discount: 'half' }], payments: [cash(15000, 20000)] } }), 201);
    // The window retries (its answer was lost on the LAN): the same order, not a second one.
    const again = must(await hubApi(h, '/orders', { token: seller, key: 'k-a', body: { lines: [{ type: 'adult', quantity: 1 }, { type: 'child', quantity: 1, discount: 'half' }], payments: [cash(15000, 20000)] } }), 201);
    assert.is(again.id, a.id);
    const b = must(await hubApi(h, '/orders', { token: seller, key: 'k-b', body: { lines: [{ type: 'adult', quantity: 3 }], payments: [{ method: 'card', amountFen: 36000, reference: 'POS-778812' }] } }), 201);
    const group = must(await hubApi(h, '/orders', { token: seller, key: 'k-group', body: { lines: [{ type: 'adult', quantity: 4, group: 'one' }], payments: [cash(48000)] } }), 201);
    assert.is(group.lines[0].tickets.length, 1);
    assert.is(group.lines[0].tickets[0].persons, 4);
    const mobile = await hubApi(h, '/orders', { token: seller, body: { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'mobile', amountFen: 12000, authCode: '134567890123456789' }] } });
    assert.is(mobile.status, 409);
    assert.is(mobile.body.error.code, 'offline_method');
    assert.match(mobile.body.error.message, /仅收现金和银行卡/);
    const notGranted = await hubApi(h, '/orders', { token: seller, body: { lines: [{ type: 'vip', quantity: 1 }], payments: [cash(50000)] } });
    assert.is(notGranted.body.error.code, 'type_not_granted');

    // The administrator refunds, at the hub, a sale made during the outage.
    const admin = await hubLogin(h, 'admin', TEST_ADMIN_PASSWORD);
    must(await hubApi(h, '/shifts', { token: admin, body: { floatFen: 0 } }), 201);
    const c = must(await hubApi(h, '/orders', { token: admin, key: 'k-c', body: { lines: [{ type: 'vip', quantity: 1 }], payments: [cash(50000)] } }), 201);
    const refunded = must(await hubApi(h, `/orders/${c.id}/refunds`, { token: admin, body: { method: 'cash', reason: '游客改变行程' } }), 201);
    assert.is(refunded.order.netFen, 0);
    const twice = await hubApi(h, `/orders/${c.id}/refunds`, { token: admin, body: { method: 'cash', reason: '游客改变行程' } });
    assert.is(twice.body.error.code, 'order_refunded');

    // The codes are signed with the hub's key and admitted at the gate, offline.
    const code = a.lines[0].tickets[0].code as string;
    const facts = readTicketCode(code, g.agent.store.keyring);
    assert.ok(facts.ok && facts.facts.keyId === delegation.keyId);
    const entered = await g.agent.present(code);
    assert.is(entered.admit, true, entered.message);
    const groupIn = await g.agent.present(group.lines[0].tickets[0].code, { persons: 4 });
    assert.is(groupIn.admit, true, groupIn.message);
    assert.is(groupIn.persons, 4);
    const reused = await g.agent.present(code);
    assert.is(reused.admit, false, 'used once');
    // A printed job through the window's print bridge, laid out at the hub.
    const print = must(await hubApi(h, `/tickets/${b.lines[0].tickets[0].id}/prints`, { token: seller, body: { output: 'escpos' } }), 200);
    assert.ok(Buffer.from(print.data, 'base64').length > 100);
    assert.equal(print.template, { code: 'adult-ticket', version: 1 }, 'HQ\'s template, at the hub, offline');
    assert.is((await hubApi(h, `/tickets/${b.lines[0].tickets[0].id}/prints`, { token: seller, body: {} })).body.error.code, 'reprint_reason_required');

    // The seller hands over at the hub: float 500 + cash 240 + 150 + 480 = 1370 yuan in the drawer.
    const closed = must(await hubApi(h, `/shifts/${shift.id}/close`, { token: seller, body: { counted: { cash: 137000, card: 36000 } } }), 200);
    const cashLine = closed.report.payments.find((p: any) => p.method === 'cash');
    assert.is(cashLine.expectedFen, 137000);
    assert.is(cashLine.differenceFen, 0);

    const before = await booksAtHq(cloud);
    assert.is(before.orders, 1, 'nothing of the outage reached HQ yet');
    assert.ok(h.state().window!.journal.pending >= 6);

    // The line comes back: every entry goes up, once.
    for (const l of wan) l.restore();
    await waitFor('HQ holds the whole journal', () => h.state().window!.journal.pending === 0, 20_000);
    const soldFen = 24000 + 15000 + 36000 + 48000 + 50000 - 50000;
    let books = await booksAtHq(cloud);
    assert.is(books.orders, 5);
    assert.is(books.netFen, soldFen, 'HQ\'s books match the hub\'s to the fen');
    assert.is(books.tickets, 2 + 2 + 3 + 1 + 1);
    assert.is(books.tickets, books.distinctTickets);
    const entries = h.book!.entries(0, 1000);
    assert.is(books.hubEntries, entries.length);

    // The acks were lost and the hub sends it all again: HQ acknowledges, records nothing twice.
    const cred = testDeviceHeader('demo', 'hub-1', 'hub');
    const resend = await fetch(`${cloud.url}/api/v1/sync/hub/journal?site=demo`, { method: 'POST', headers: { ...cred, 'content-type': 'application/json' }, body: JSON.stringify({ entries }) });
    assert.is(resend.status, 200);
    const ack = await resend.json() as { taken: number[]; refused: unknown[] };
    assert.equal(ack.taken, entries.map((e) => e.seq));
    assert.equal(ack.refused, []);
    // Two uploads of the same entries at once: one records, the other finds it recorded.
    const racing = await Promise.all([0, 1].map(() => fetch(`${cloud.url}/api/v1/sync/hub/journal?site=demo`, { method: 'POST', headers: { ...cred, 'content-type': 'application/json' }, body: JSON.stringify({ entries }) }).then((r) => r.json())));
    for (const r of racing) assert.is((r as { taken: number[] }).taken.length, entries.length);
    // The same number with other content is refused, never recorded over.
    const forged = structuredClone(entries.find((e) => e.kind === 'order')!) as Extract<JournalEntry, { kind: 'order' }>;
    forged.order.totalFen += 100;
    assert.not.equal(entryDigest(forged), entryDigest(entries.find((e) => e.seq === forged.seq)!));
    const conflict = await (await fetch(`${cloud.url}/api/v1/sync/hub/journal?site=demo`, { method: 'POST', headers: { ...cred, 'content-type': 'application/json' }, body: JSON.stringify({ entries: [forged] }) })).json() as { refused: { code: string }[] };
    assert.is(conflict.refused[0]?.code, 'seq_conflict');
    books = await booksAtHq(cloud);
    assert.is(books.orders, 5);
    assert.is(books.netFen, soldFen);

    // At HQ: the hub's sale with its tickets as printed, the refunded ticket revoked, the chain whole.
    const atHq = must(await api(cloud.url, `/api/v1/orders/${a.id}`), 200);
    assert.is(atHq.lines[0].tickets[0].code, code);
    assert.is(atHq.netFen, 15000);
    const cAtHq = must(await api(cloud.url, `/api/v1/orders/${c.id}`), 200);
    assert.is(cAtHq.lines[0].tickets[0].revoked, 'refunded');
    assert.is(cAtHq.netFen, 0);
    const audit = must(await api(cloud.url, '/api/v1/audit/verify'), 200);
    assert.ok(audit.ok, JSON.stringify(audit.problems));
    // The gate's entries reach HQ through the hub as well.
    await waitFor('HQ has the gate\'s offline entries', async () => (await api(cloud.url, `/api/v1/tickets/${group.lines[0].tickets[0].id}`)).body.used?.persons === 4, 10_000);
    // Within the hub's shift: the close reached HQ's audit chain.
    const [closeRec] = await rows<{ n: number }>(cloud, sql`select count(*)::int n from audit_log where action = 'hub_shift_close' and subject = ${shift.id}`);
    assert.is(closeRec!.n, 1);
    // ... and is an HQ shift, its report made by HQ from the hub's sales it recorded: the same figures, to the fen.
    const hqShift = must(await api(cloud.url, `/api/v1/shifts/${shift.id}`), 200);
    assert.ok(hqShift.closedAt && hqShift.reportHash);
    const pay = (m: string) => hqShift.report.payments.find((p: any) => p.method === m);
    assert.equal({ expected: pay('cash').expectedFen, counted: pay('cash').countedFen, diff: pay('cash').differenceFen }, { expected: 137000, counted: 137000, diff: 0 });
    assert.equal({ charges: pay('card').chargesFen, counted: pay('card').countedFen }, { charges: 36000, counted: 36000 });
    assert.equal(hqShift.report.payments, closed.report.payments, 'HQ\'s report of the hub\'s shift is the hub\'s');
    assert.is(hqShift.report.orders, closed.report.orders);
    const perOrder = entries.filter((e) => e.kind === 'order').map((e) => JSON.stringify(e).length);
    process.stderr.write(`hub sale at HQ with the line up in ${lineUpMs} ms; ${entries.length} journal entries, ${wan[1].stats.bytesUp} bytes up over HTTP; an order entry is ${Math.min(...perOrder)}-${Math.max(...perOrder)} bytes of JSON\n`);

    // Refunded at HQ, then again at the hub (which had not heard): HQ's books pay back once,
    // and the hub's second refund is flagged for finance with its amount.
    const x = must(await hubApi(h, '/orders', { token: admin, key: 'k-x', body: { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] } }), 201);
    await waitFor('x at HQ', async () => (await api(cloud.url, `/api/v1/orders/${x.id}`)).status === 200);
    must(await api(cloud.url, `/api/v1/orders/${x.id}/refunds`, { body: { tickets: [x.lines[0].tickets[0].id], method: 'cash', reason: '总部退票' } }), 201);
    must(await hubApi(h, `/orders/${x.id}/refunds`, { token: admin, body: { method: 'cash', reason: '站点退票' } }), 201);
    await waitFor('the hub\'s refund at HQ', () => h.state().window!.journal.pending === 0);
    const [flag] = await rows<{ n: number }>(cloud, sql`select count(*)::int n from audit_log where action = 'hub_refund_conflict'`);
    assert.is(flag!.n, 1, 'the double refund is flagged for finance');
    assert.is((await booksAtHq(cloud)).netFen, soldFen, 'sold once, paid back once');
    const [conflictBody] = await rows<{ body: { unrecordedFen: number } }>(cloud, sql`select body from audit_log where action = 'hub_refund_conflict'`);
    assert.is(conflictBody!.body.unrecordedFen, 12000, 'the cash that left the hub\'s drawer a second time');
    assert.ok(must(await api(cloud.url, '/api/v1/audit/verify'), 200).ok);
    void sellers;
  } finally {
    await gate?.cleanup();
    await stopHubSite({ hub, wan, cloud, dataDir });
  }
});

test('a seller switched off at HQ can no longer sign in at the hub once it has synced', async () => {
  const cloud = await startTestCloud();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hubsell-'));
  let hub: SiteHub | undefined;
  try {
    await provision(cloud.url, 'demo', [{ device: 'hub-1', role: 'hub' }]);
    const { sellers } = await seedOffice(cloud.url);
    hub = new SiteHub(parseHubConfig({
      hub: 'hub-1', site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
      upstream: { mqttUrl: `mqtt://127.0.0.1:${cloud.mqttPort}`, cloudUrl: cloud.url }, window: { syncIntervalMs: 200, kitEveryMs: 1000 },
    }), testLog.child('hub'));
    await hub.start();
    const h = hub;
    await waitFor('kit', () => h.state().window?.kitAt);
    const token = await hubLogin(h, 'seller2', 'seller2-password');
    must(await hubApi(h, '/auth/me', { token }), 200);
    must(await api(cloud.url, `/api/v1/users/${sellers[1]!.id}`, { method: 'PATCH', body: { active: false } }), 200);
    await waitFor('the session ends at the hub', async () => (await hubApi(h, '/auth/me', { token })).status === 401, 10_000);
    assert.is((await hubApi(h, '/auth/login', { body: { username: 'seller2', password: 'seller2-password' } })).status, 401);
    void login;
  } finally {
    await hub?.stop();
    await cloud.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
