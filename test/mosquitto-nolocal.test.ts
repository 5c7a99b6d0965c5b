/**
 * Gates on mosquitto (HQ's external broker): with `mqttVersion: 5` their subscriptions carry
 * No Local, so a gate hears its siblings' uploads but never its own back; on MQTT 3.1.1
 * mosquitto has no way to know, and echoes them (the built-in brokers drop them themselves).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ADULT, api, startTestCloud, waitFor } from './support/cloud.ts';
import { startTestGate, type TestGate } from './support/gate.ts';
import { mosquittoBinary, startMosquitto } from './support/mosquitto.ts';
import { provision } from './support/provision.ts';
import { makeTestPki } from './support/tls.ts';

const HQ = { user: 'hq', password: 'hq-broker-password' };
const maybe = mosquittoBinary() !== undefined || process.env.CI ? test : test.skip;

maybe('mosquitto: a gate on MQTT 5 never hears its own uploads back; its siblings hear them', async () => {
  const pki = makeTestPki('mosquitto-nl');
  const broker = await startMosquitto({ ...pki.server('broker'), hqUser: HQ.user, hqPassword: HQ.password });
  let cloud: Awaited<ReturnType<typeof startTestCloud>> | undefined;
  const gates: TestGate[] = [];
  try {
    cloud = await startTestCloud({ mqttUrl: broker.url, mqttUsername: HQ.user, mqttPassword: HQ.password, mqttCa: pki.ca });
    const url = cloud.url;
    const specs = [{ device: 'gate-5', version: 5 }, { device: 'gate-sib', version: 5 }, { device: 'gate-4', version: 4 }] as const;
    await provision(url, 'demo', specs.map((s) => ({ device: s.device, lanes: [`${s.device}-lane`] })));
    for (const s of specs) assert.is((await api(url, '/api/v1/device-credentials', { body: { site: 'demo', device: s.device, role: 'gate' } })).status, 201);
    await api(url, '/api/v1/ticket-types', { body: ADULT });
    const tickets = (await api(url, '/api/v1/sales', { body: { type: 'adult', quantity: 6 } })).body.tickets as { id: string; code: string }[];
    for (const s of specs) gates.push(await startTestGate({ device: s.device, lane: `${s.device}-lane`, cloudUrl: url, mqttUrl: broker.url, ca: pki.ca, mqttVersion: s.version }));
    const [v5, sibling, v4] = gates as [TestGate, TestGate, TestGate];
    await waitFor('gates synced and connected', () => gates.every((g) => g.agent.linkState.connected && g.agent.store.ticket(tickets[5]!.id)), 30_000);
    await new Promise((r) => setTimeout(r, 500)); // subscriptions in place

    for (let i = 0; i < 3; i++) assert.ok((await v5.agent.present(tickets[i]!.code)).admit);
    for (let i = 3; i < 6; i++) assert.ok((await v4.agent.present(tickets[i]!.code)).admit);
    await waitFor('HQ acked every upload', () => v5.agent.linkState.outbox === 0 && v4.agent.linkState.outbox === 0, 20_000);
    await waitFor('the sibling heard all six entries', () => tickets.every((t) => sibling.agent.store.history(t.id).length === 1), 10_000);
    await waitFor('the 3.1.1 gate heard its own uploads back (what No Local spares)', () => v4.agent.linkState.echoes >= 1, 10_000);
    assert.is(v5.agent.linkState.echoes, 0, 'the MQTT 5 gate heard none of its own');
    assert.ok(tickets.slice(3).every((t) => v5.agent.store.history(t.id).length === 1), 'and still hears its siblings');
  } finally {
    for (const g of gates) await g.cleanup();
    await cloud?.cleanup();
    await broker.stop();
  }
});

test.run();
