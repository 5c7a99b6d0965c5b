import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ADULT, api, startTestCloud, waitFor } from './support/cloud.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { provisionGates } from './support/provision.ts';
import { LinkSim } from './tools/link-sim.ts';

/**
 * Capacity at the gates: two real gate agents and HQ over real MQTT and HTTP. Each gate
 * decides alone from its own passage log, which holds its sibling's passages as it hears
 * them; HQ counts from the entries it receives; the public page says the same.
 */
async function twoGates(cloudUrl: string, ports: [number, number]): Promise<[TestGate, TestGate]> {
  await provisionGates(cloudUrl, 'demo', [['gate-1', 'lane-1'], ['gate-2', 'lane-2']]);
  // Lane 2 is both entrance and exit.
  await api(cloudUrl, '/api/v1/sites/demo/lanes/lane-2', { method: 'PUT', body: { directions: ['in', 'out'] } });
  return Promise.all([1, 2].map((n) => startTestGate({
    device: `gate-${n}`, lane: `lane-${n}`, cloudUrl, mqttUrl: `mqtt://127.0.0.1:${ports[n - 1]}`,
  }))) as Promise<[TestGate, TestGate]>;
}

const inParkAt = (g: TestGate) => g.agent.capacity()?.inPark;

test('capacity 10, 12 visitors across two gates: exactly 10 are in, exits let the next in, HQ and the public page agree', async () => {
  const cloud = await startTestCloud();
  const [g1, g2] = await twoGates(cloud.url, [cloud.mqttPort, cloud.mqttPort]);
  try {
    assert.is((await api(cloud.url, '/api/v1/venue-capacity/demo/main', { method: 'PUT', body: { capacity: 10, warnPercent: 80 } })).status, 200);
    await api(cloud.url, '/api/v1/ticket-types', { body: ADULT });
    const sold = (await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 12 } })).body.tickets as { id: string; code: string }[];
    await waitFor('both gates have the tickets and the capacity', () => [g1, g2].every((g) => g.agent.store.ticket(sold[11]!.id) && g.agent.capacity()?.capacity === 10));

    const results: { gate: number; admit: boolean; reason: string; message: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const g = i % 2 === 0 ? g1 : g2;
      const d = await g.agent.present(sold[i]!.code);
      results.push({ gate: i % 2 + 1, admit: d.admit, reason: d.reason, message: d.message });
      const admitted = results.filter((r) => r.admit).length;
      // The other gate hears the passage on the site's broker before the next visitor comes.
      await waitFor(`both gates count ${admitted}`, () => inParkAt(g1) === admitted && inParkAt(g2) === admitted);
    }
    assert.is(results.filter((r) => r.admit).length, 10, JSON.stringify(results));
    assert.equal(results.slice(10).map((r) => r.reason), ['park_full', 'park_full']);
    assert.is(results[10]!.message, '景区已达最大承载量，暂停入园，请稍候');
    // From 8 of 10 on, the display warns.
    assert.ok(results[7]!.message.includes('景区接近满员'), results[7]!.message);
    assert.not.ok(results[6]!.message.includes('景区接近满员'), results[6]!.message);
    assert.equal(g1.agent.status().load, { inPark: 10, capacity: 10, level: 'full' });

    // HQ's count (the dashboard's in-park report and the public page) agrees once the uploads are in.
    const publicCount = async () => (await api(cloud.url, '/api/v1/public/capacity', { token: null })).body;
    await waitFor('HQ counts 10', async () => (await publicCount()).venues[0].inPark === 10);
    const pub = await publicCount();
    assert.equal({ inPark: pub.venues[0].inPark, capacity: pub.venues[0].capacity, status: pub.venues[0].status }, { inPark: 10, capacity: 10, status: 'full' });
    const report = (await api(cloud.url, '/api/v1/reports/in-park')).body;
    assert.is(report.rows.find((r: { venue: string }) => r.venue === 'main').inPark, 10);
    const board = await fetch(`${cloud.url}/api/v1/public/capacity/board`);
    assert.is(board.status, 200);
    const html = await board.text();
    assert.ok(html.includes('<b>10</b> / 10') && html.includes('已满，暂停入园'), html);

    // Two visitors leave through lane 2: the two refused come in, one at each gate.
    for (const t of sold.slice(0, 2)) assert.is((await g2.agent.present(t.code, { direction: 'out' })).kind, 'exit');
    await waitFor('both gates count 8', () => inParkAt(g1) === 8 && inParkAt(g2) === 8);
    assert.is((await g1.agent.present(sold[10]!.code)).admit, true);
    await waitFor('both gates count 9', () => inParkAt(g1) === 9 && inParkAt(g2) === 9);
    assert.is((await g2.agent.present(sold[11]!.code)).admit, true);
    await waitFor('HQ counts 10 again', async () => (await publicCount()).venues[0].inPark === 10);
  } finally {
    await g1.cleanup();
    await g2.cleanup();
    await cloud.cleanup();
  }
});

test('offline, a gate decides with the last count it knows plus its own entries, and says so', async () => {
  const cloud = await startTestCloud();
  const links = [new LinkSim({ target: { host: '127.0.0.1', port: cloud.mqttPort } }), new LinkSim({ target: { host: '127.0.0.1', port: cloud.mqttPort } })];
  for (const l of links) await l.start();
  const [g1, g2] = await twoGates(cloud.url, [links[0]!.port, links[1]!.port]);
  try {
    await api(cloud.url, '/api/v1/venue-capacity/demo/main', { method: 'PUT', body: { capacity: 4 } });
    await api(cloud.url, '/api/v1/ticket-types', { body: ADULT });
    const sold = (await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 6 } })).body.tickets as { id: string; code: string }[];
    await waitFor('both gates up and synced', () => [g1, g2].every((g) => g.agent.linkState.connected && g.agent.store.ticket(sold[5]!.id) && g.agent.capacity()));
    assert.is((await g1.agent.present(sold[0]!.code)).admit, true);
    assert.is((await g2.agent.present(sold[1]!.code)).admit, true);
    await waitFor('both count 2', () => inParkAt(g1) === 2 && inParkAt(g2) === 2);

    links[0]!.cut();
    await waitFor('gate 1 cut off', () => !g1.agent.linkState.connected);
    assert.is(g1.agent.capacity()?.stale, true);
    // Gate 1 admits 2 more by what it knows (2 + its own); the third is refused, and it says the count is its own.
    assert.is((await g1.agent.present(sold[2]!.code)).admit, true);
    assert.is((await g1.agent.present(sold[3]!.code)).admit, true);
    const full = await g1.agent.present(sold[4]!.code);
    assert.is(full.reason, 'park_full');
    assert.is(full.message, '景区已达最大承载量，暂停入园，请稍候（离线，按本机所知人数）');
    assert.is(full.messageEn, 'The park is full: entry paused, please wait (offline: by the count this gate knows)');
    links[0]!.restore();
    await waitFor('gate 2 hears gate 1\'s offline entries', () => inParkAt(g2) === 4, 15_000);
    assert.is((await g2.agent.present(sold[5]!.code)).reason, 'park_full');
  } finally {
    await g1.cleanup();
    await g2.cleanup();
    for (const l of links) await l.stop();
    await cloud.cleanup();
  }
});

test.run();
