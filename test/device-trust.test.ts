/**
 * A device speaks only for itself: with two real gates and HQ, gate B's credential cannot
 * use up a ticket at gate A's lane, take gate A's place on the broker, or slip in entries at
 * a time far off the clock. Each attempt is refused, counted on gate B and shown in HQ's
 * device view; gate A counts none of them, and the real visitor is admitted at gate A.
 */
import { eq } from 'drizzle-orm';
import mqtt, { type MqttClient } from 'mqtt';
import { refusedEntries } from '../cloud/db/schema/index.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lookupHash } from '../shared/booking/lookup.ts';
import { ADULT, api, startTestCloud, waitFor } from './support/cloud.ts';
import { testDeviceMqtt } from './support/devices.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { provision, provisionGates } from './support/provision.ts';

const DAY = 86_400_000;

async function tryConnect(url: string, opts: Record<string, unknown>): Promise<string> {
  let c: MqttClient | undefined;
  try {
    c = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 3000, ...opts });
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c?.endAsync(true);
  }
}

/** An entry gate B's own software writes and uploads: its outbox, its stream, its credential. */
function forge(g: TestGate, e: { ticketId: string; lane: string; at: number }) {
  return g.agent.store.recordEntry({
    device: g.agent.config.device, ticketId: e.ticketId, lane: e.lane, venue: 'main', direction: 'in', kind: 'normal', persons: 1,
    deviceTime: e.at, correctedTime: e.at,
  });
}

test('gate B speaks only for itself: another lane, another client id, a time far off are refused, counted and shown; the visitor passes at gate A', async () => {
  const cloud = await startTestCloud();
  await provisionGates(cloud.url, 'demo', [['gate-a', 'lane-a'], ['gate-b', 'lane-b']]);
  const [a, b] = await Promise.all([
    startTestGate({ device: 'gate-a', lane: 'lane-a', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl }),
    startTestGate({ device: 'gate-b', lane: 'lane-b', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl }),
  ]);
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: ADULT });
    const t = (await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } })).body.tickets[0];
    await waitFor('both gates hold the ticket and are on the broker', () =>
      a.agent.store.ticket(t.id) && b.agent.store.ticket(t.id) && a.agent.linkState.connected && b.agent.linkState.connected);

    // 1. Gate B reports the ticket used at gate A's lane.
    forge(b, { ticketId: t.id, lane: 'lane-a', at: Date.now() });
    // 2. Replays with a device time far off: a month ago, and tomorrow.
    forge(b, { ticketId: t.id, lane: 'lane-b', at: Date.now() - 30 * DAY });
    forge(b, { ticketId: t.id, lane: 'lane-b', at: Date.now() + DAY });
    // HQ acknowledges what it refused, so gate B's stream goes on.
    await waitFor('gate B\'s outbox acknowledged', () => b.agent.linkState.outbox === 0, 10_000);

    // 3. Gate B's credential under gate A's client id, again and again: never connected, gate A never pushed off.
    const forged = { ...testDeviceMqtt('demo', 'gate-b'), clientId: 'gate:demo:gate-a' };
    for (let i = 0; i < 5; i++) assert.match(await tryConnect(cloud.mqttUrl, forged), /Identifier rejected/);
    assert.match(await tryConnect(cloud.mqttUrl, { ...testDeviceMqtt('demo', 'gate-b'), clientId: 'anything-else' }), /Identifier rejected/);
    assert.ok(a.agent.linkState.connected, 'gate A is still on the broker');

    // HQ took none of it, and shows it on gate B.
    const view = await waitFor('refusals counted on gate B', async () => {
      const d = (await api(cloud.url, '/api/v1/sites/demo/devices/gate-b')).body;
      return d.refusedEntries === 3 && d.refusedConnections === 6 ? d : undefined;
    });
    const codes = view.alarms.map((x: { code: string }) => x.code).sort();
    assert.equal(codes, ['connections_refused', 'entries_refused']);
    const entriesAlarm = view.alarms.find((x: { code: string }) => x.code === 'entries_refused');
    assert.is(entriesAlarm.count, 3);
    assert.match(entriesAlarm.message, /拒收入园记录 3 条.*3 entries refused/);
    assert.is(view.alarms.find((x: { code: string }) => x.code === 'connections_refused').last.reason, 'client_id_not_own');
    const all = (await api(cloud.url, '/api/v1/devices')).body.items;
    assert.equal(all.find((d: { device: string }) => d.device === 'gate-a').alarms, [], 'gate A did nothing wrong');
    assert.is((await api(cloud.url, `/api/v1/tickets/${t.id}`)).body.used.entries, 0, 'HQ counts no entry for the ticket');
    assert.is((await api(cloud.url, `/api/v1/entries?ticket=${t.id}`)).body.items.length, 0);
    const reasons = (await cloud.ctx!.db.select({ reason: refusedEntries.reason }).from(refusedEntries).where(eq(refusedEntries.device, 'gate-b'))).map((r) => r.reason).sort();
    assert.equal(reasons, ['foreign_lane', 'time_ahead', 'time_stale']);

    // Gate A heard all three on the broker and counted none.
    // (A batch re-sent before its ack is heard again, and refused again.)
    await waitFor('gate A refused gate B\'s entries', () => a.agent.counters.siblingRefused >= 3);
    assert.is(a.agent.store.history(t.id).length, 0);

    // The real visitor at gate A.
    const d = await a.agent.present(t.code);
    assert.is(d.admit, true, d.message);
    assert.is(d.kind, 'normal');
    await waitFor('HQ has the real entry, from gate A', async () => {
      const items = (await api(cloud.url, `/api/v1/entries?ticket=${t.id}`)).body.items;
      return items.length === 1 && items[0].device === 'gate-a' && items[0].lane === 'lane-a';
    });
    // Gate B counts gate A's genuine entry (beside the three it wrote itself).
    await waitFor('gate B heard gate A', () => b.agent.store.entriesFor(t.id).filter((e) => e.lane === 'lane-a').length === 2);
    assert.is(b.agent.counters.siblingRefused, 0, 'gate A\'s entry passes gate B\'s check');
  } finally {
    await a.cleanup();
    await b.cleanup();
    await cloud.cleanup();
  }
});

test('a gate pulls what its lanes need: its venues\' tickets, cards and ID numbers only as keyed hashes', async () => {
  const cloud = await startTestCloud();
  await api(cloud.url, '/api/v1/sites/demo/venues/garden', { method: 'PUT', body: { name: '园中园' } });
  await api(cloud.url, '/api/v1/sites/demo/lanes/lane-g', { method: 'PUT', body: { venue: 'garden' } });
  await provision(cloud.url, 'demo', [{ device: 'gate-m', lanes: ['lane-m'] }, { device: 'gate-g', lanes: ['lane-g'] }]);
  // Gate G asks for the whole site; HQ answers with what its lane needs.
  const [m, g] = await Promise.all([
    startTestGate({ device: 'gate-m', lane: 'lane-m', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl }),
    startTestGate({ device: 'gate-g', lane: 'lane-g', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl }),
  ]);
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: ADULT });
    await api(cloud.url, '/api/v1/ticket-types', { body: { code: 'garden', name: '园中园票', priceFen: 3000, validityDays: 1, entries: 1, persons: 1, rules: { venues: [{ venue: 'garden', entries: 1 }] } } });
    const main = (await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } })).body.tickets[0];
    const garden = (await api(cloud.url, '/api/v1/sales', { body: { type: 'garden', quantity: 1 } })).body.tickets[0];
    assert.is((await api(cloud.url, `/api/v1/tickets/${main.id}/credentials`, { body: { kind: 'idcard', value: '11010519491231002X' } })).status, 201);
    assert.is((await api(cloud.url, `/api/v1/tickets/${main.id}/credentials`, { body: { kind: 'card', value: '04A1B2C3' } })).status, 201);
    await waitFor('both gates synced the sales', () => m.agent.store.ticket(main.id) && g.agent.store.ticket(garden.id)
      && m.agent.store.ticketsByCredential('card', '04A1B2C3').length === 0 && m.agent.store.credentialKey());
    await waitFor('gate M has the bindings', () => m.agent.evaluate({ kind: 'card', value: '04A1B2C3' }).ticketId === main.id);
    assert.is(g.agent.store.ticket(main.id), undefined, 'the garden gate holds no main-venue ticket');
    assert.is(m.agent.store.ticket(garden.id), undefined, 'the main gate holds no garden ticket');
    // Cards and ID numbers are in the cache only as keyed hashes: neither the number nor its plain lookup hash.
    const values = (m.agent.store.db.$client.prepare('select kind, value from credentials').all() as { kind: string; value: string }[]);
    assert.is(values.length, 2);
    for (const v of values) {
      assert.match(v.value, /^[0-9a-f]{32}$/);
      assert.not.ok(['11010519491231002X', '04A1B2C3', lookupHash('id', '11010519491231002X')].includes(v.value));
    }
    const d = await m.agent.present({ kind: 'idcard', value: '11010519491231002X' });
    assert.is(d.admit, true, d.message);
    assert.is(d.ticketId, main.id);
  } finally {
    await m.cleanup();
    await g.cleanup();
    await cloud.cleanup();
  }
});

test.run();
