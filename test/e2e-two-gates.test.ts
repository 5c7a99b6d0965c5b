import { availableParallelism, loadavg } from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LinkSim } from './tools/link-sim.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { provisionGates } from './support/provision.ts';

const GROUP5 = { code: 'group5', name: '团队票（5人）', priceFen: 50000, validityDays: 1, entries: 1, persons: 5 };
const ADULT = { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 };

async function twoGates(mqttPorts: [number, number], cloudUrl: string): Promise<[TestGate, TestGate]> {
  await provisionGates(cloudUrl, 'demo', [['gate-1', 'lane-1'], ['gate-2', 'lane-2']]);
  return Promise.all([1, 2].map((n) => startTestGate({
    device: `gate-${n}`, lane: `lane-${n}`, cloudUrl, mqttUrl: `mqtt://127.0.0.1:${mqttPorts[n - 1]}`,
  }))) as Promise<[TestGate, TestGate]>;
}

test('a 5-person group passes 3 at gate 1 and 2 at gate 2; the sixth is refused; emergency and back', async () => {
  const cloud = await startTestCloud();
  const [g1, g2] = await twoGates([cloud.mqttPort, cloud.mqttPort], cloud.url);
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: GROUP5 });
    const sale = await api(cloud.url, '/api/v1/sales', { body: { type: 'group5', quantity: 1 } });
    const t = sale.body.tickets[0];
    await waitFor('both gates have the ticket', () => g1.agent.store.ticket(t.id) && g2.agent.store.ticket(t.id));

    const a = await g1.agent.present(t.code, { persons: 3 });
    assert.is(a.admit, true, a.message);
    assert.is(a.persons, 3);
    assert.is(a.remaining, 2);
    assert.is(a.message, '欢迎光临，请通行 3 人，剩余 2 人次');
    // Gate 2 hears gate 1's upload on the site broker and counts it.
    await waitFor('gate 2 knows of gate 1 entry', () => g2.agent.store.history(t.id).length === 1);
    const b = await g2.agent.present(t.code);
    assert.is(b.admit, true, b.message);
    assert.is(b.persons, 2, 'gate 2 admits only the 2 left');
    await waitFor('gate 1 knows of gate 2 entry', () => g1.agent.store.history(t.id).length === 2);
    const sixth = await g1.agent.present(t.code, { persons: 1 });
    assert.is(sixth.admit, false);
    assert.is(sixth.reason, 'used');
    await waitFor('turnstiles counted 5 passages', () => g1.agent.counters.passed + g2.agent.counters.passed === 5);
    await waitFor('HQ has both entries', async () => (await api(cloud.url, `/api/v1/tickets/${t.id}`)).body.used.persons === 5);

    // The cloud switches the whole site to emergency: both gates open within 1 s and say so.
    const t0 = Date.now();
    const set = await api(cloud.url, '/api/v1/sites/demo/mode', { method: 'PUT', body: { mode: 'emergency' } });
    assert.is(set.status, 200);
    await waitFor('both leaves open', () => g1.turnstile.state.emergencyOpen && g2.turnstile.state.emergencyOpen, 3000, 5);
    const openedIn = Date.now() - t0;
    // The goal is 1 s; on a machine loaded past its cores the budget grows with the load (up to 3 s).
    const budget = Math.min(3000, 1000 * Math.max(1, loadavg()[0]! / availableParallelism()));
    assert.ok(openedIn < budget, `opened in ${openedIn} ms (budget ${Math.round(budget)} ms)`);
    await waitFor('HQ sees both report emergency', async () => {
      const devs = (await api(cloud.url, '/api/v1/sites/demo/devices')).body.items;
      return devs.filter((d: any) => d.reported?.mode === 'emergency' && d.reported.version === set.body.version).length === 2;
    }, 3000);
    // In an emergency nobody is validated, and passages are still logged.
    const free = await g1.agent.present('anything at all');
    assert.is(free.admit, true);
    assert.is(free.kind, 'emergency');
    g1.turnstile.simulatePassage('in');
    await waitFor('emergency passage at HQ', async () =>
      (await api(cloud.url, '/api/v1/entries')).body.items.some((e: any) => e.kind === 'emergency' && e.device === 'gate-1'));

    // Back to normal.
    await api(cloud.url, '/api/v1/sites/demo/mode', { method: 'PUT', body: { mode: 'normal' } });
    await waitFor('both leaves closed', () => !g1.turnstile.state.emergencyOpen && !g2.turnstile.state.emergencyOpen, 1000, 5);
    assert.is((await g2.agent.present(t.code)).reason, 'used');
    await waitFor('HQ sees both report normal', async () =>
      (await api(cloud.url, '/api/v1/sites/demo/devices')).body.items.filter((d: any) => d.reported?.mode === 'normal').length === 2, 3000);

    // Closed: everything refused with a message.
    await api(cloud.url, '/api/v1/sites/demo/devices/gate-2/mode', { method: 'PUT', body: { mode: 'closed' } });
    await waitFor('gate 2 closed', () => g2.agent.mode === 'closed');
    const closed = await g2.agent.present(t.code);
    assert.is(closed.reason, 'closed');
    assert.is(g1.agent.mode, 'normal', 'a device order does not touch its sibling');
  } finally {
    await g1.cleanup();
    await g2.cleanup();
    await cloud.cleanup();
  }
});

test('offline gates each decide alone; HQ reports the over-use; a local emergency input beats the remote mode', async () => {
  const cloud = await startTestCloud();
  const links = [new LinkSim({ target: { host: '127.0.0.1', port: cloud.mqttPort } }), new LinkSim({ target: { host: '127.0.0.1', port: cloud.mqttPort } })];
  for (const l of links) await l.start();
  const [g1, g2] = await twoGates([links[0]!.port, links[1]!.port], cloud.url);
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: ADULT });
    const t = (await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } })).body.tickets[0];
    // Up, and synced: the HQ key must be in both caches before the line goes (codes are verified with it).
    await waitFor('both gates up and synced', () => g1.agent.linkState.connected && g2.agent.linkState.connected
      && g1.agent.store.ticket(t.id) && g2.agent.store.ticket(t.id));
    for (const l of links) l.cut();
    await waitFor('both gates cut off', () => !g1.agent.linkState.connected && !g2.agent.linkState.connected);
    // Neither can know of the other: both admit. That is the price of never stopping a gate.
    assert.is((await g1.agent.present(t.code)).admit, true);
    assert.is((await g2.agent.present(t.code)).admit, true);
    for (const l of links) l.restore();
    await waitFor('over-use reported', async () => (await api(cloud.url, '/api/v1/over-use')).body.items.length === 1, 10_000);
    const [o] = (await api(cloud.url, '/api/v1/over-use')).body.items;
    assert.is(o.ticketId, t.id);
    assert.is(o.allowed, 1);
    assert.is(o.used, 2);
    assert.equal([...o.devices].sort(), ['gate-1', 'gate-2']);

    // The fire alarm input at gate 1 opens it whatever HQ says, and it says so.
    g1.turnstile.simulateEmergencyInput(true);
    await waitFor('gate 1 in emergency', () => g1.agent.mode === 'emergency' && g1.turnstile.state.emergencyOpen);
    await api(cloud.url, '/api/v1/sites/demo/mode', { method: 'PUT', body: { mode: 'closed' } });
    await waitFor('gate 2 closed', () => g2.agent.mode === 'closed');
    assert.is(g1.agent.mode, 'emergency', 'the local input beats the remote order');
    await waitFor('HQ sees the local emergency', async () =>
      (await api(cloud.url, '/api/v1/sites/demo/devices')).body.items.some((d: any) => d.device === 'gate-1' && d.reported?.source === 'local-emergency'));
    g1.turnstile.simulateEmergencyInput(false);
    await waitFor('gate 1 follows HQ again', () => g1.agent.mode === 'closed' && !g1.turnstile.state.emergencyOpen);
  } finally {
    await g1.cleanup();
    await g2.cleanup();
    for (const l of links) await l.stop();
    await cloud.cleanup();
  }
});

test.run();
