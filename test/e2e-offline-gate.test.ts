import { testHqMqtt, withGateToken } from './support/devices.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { base32nopad } from '@scure/base';
import { GateAgent } from '../edge/gate/agent.ts';
import { parseGateConfig } from '../edge/gate/config.ts';
import { SimScanner } from '../hardware/scanner/sim.ts';
import { SimTurnstile } from '../hardware/turnstile/sim.ts';
import { generateIssuerKey } from '../shared/code/keys.ts';
import { encodeTicketCode } from '../shared/code/ticket-code.ts';
import { topics } from '../shared/sync/topics.ts';
import { LinkSim } from './tools/link-sim.ts';
import { ADULT, api, startTestCloud, testLog, waitFor } from './support/cloud.ts';
import { provisionGates } from './support/provision.ts';

test('sold in the cloud, admitted by an offline gate, reported exactly once', async () => {
  const cloud = await startTestCloud();
  await provisionGates(cloud.url, 'demo', [['gate-1', 'east-1']]);
  const httpLink = new LinkSim({ target: { host: '127.0.0.1', port: cloud.httpPort } });
  const mqttLink = new LinkSim({ target: { host: '127.0.0.1', port: cloud.mqttPort } });
  await httpLink.start();
  await mqttLink.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-gate-'));
  const config = parseGateConfig(withGateToken({
    device: 'gate-1', site: 'demo', lane: 'east-1', dataDir,
    cloudUrl: `http://127.0.0.1:${httpLink.port}`, mqttUrl: `mqtt://127.0.0.1:${mqttLink.port}`,
    pullIntervalMs: 300, ackTimeoutMs: 500,
  }));
  const turnstile = new SimTurnstile({ autoPass: true, passDelayMs: 10 });
  const gate = new GateAgent(config, { turnstile, scanner: new SimScanner(), log: testLog.child('gate') });
  await gate.start();
  try {
    assert.equal((await api(cloud.url, '/api/v1/ticket-types', { body: ADULT })).status, 201);
    const sale = await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } });
    assert.is(sale.status, 201);
    const ticket = sale.body.tickets[0];

    // The gate receives the ticket (doorbell over MQTT, pull over HTTP).
    await waitFor('ticket in gate cache', () => gate.store.ticket(ticket.id));
    assert.ok(gate.store.keyring.has(cloud.ctx!.key.keyId), 'gate holds HQ public key');

    // The line to HQ goes down.
    httpLink.cut();
    mqttLink.cut();
    await waitFor('uplink down', () => !gate.linkState.connected);

    const first = await gate.present(ticket.code);
    assert.is(first.admit, true, first.message);
    assert.is(first.persons, 1);
    const second = await gate.present(ticket.code);
    assert.is(second.admit, false);
    assert.is(second.reason, 'used');
    assert.is(second.message, '票已用完');

    const bytes = Buffer.from(base32nopad.decode(ticket.code));
    bytes[10]! ^= 0x01; // inside the ticket id
    const forged = await gate.present(base32nopad.encode(bytes));
    assert.is(forged.reason, 'forged');

    // Nothing reached HQ while the line was down; the entry waits in the outbox.
    assert.is((await api(cloud.url, `/api/v1/tickets/${ticket.id}`)).body.used.entries, 0);
    assert.is(gate.store.outboxSize(), 1);
    await waitFor('turnstile released', () => turnstile.history.some((h) => h.op === 'close' && h.persons === 1 && h.passed === 1));

    // The line comes back: the entry is uploaded and acknowledged.
    httpLink.restore();
    mqttLink.restore();
    await waitFor('entry at HQ', async () => (await api(cloud.url, `/api/v1/tickets/${ticket.id}`)).body.used.entries === 1);
    await waitFor('outbox drained', () => gate.store.outboxSize() === 0);

    // The same batch uploaded twice more changes nothing.
    const [entry] = gate.store.entriesFor(ticket.id);
    const batch = JSON.stringify({ device: 'gate-1', epoch: gate.store.epoch, firstSeq: 1, lastSeq: 1, entries: [entry] });
    const client = await mqtt.connectAsync(cloud.mqttUrl, { clientId: 'test-replay', ...testHqMqtt('test-replay') });
    const acks: string[] = [];
    await client.subscribeAsync(topics.upAck('demo', 'gate-1'), { qos: 1 });
    client.on('message', (_t, p) => acks.push(p.toString()));
    await client.publishAsync(topics.up('demo', 'gate-1'), batch, { qos: 1 });
    await client.publishAsync(topics.up('demo', 'gate-1'), batch, { qos: 1 });
    await waitFor('two acks', () => acks.length >= 2);
    await client.endAsync();
    const after = await api(cloud.url, `/api/v1/tickets/${ticket.id}`);
    assert.equal(after.body.used, { entries: 1, persons: 1 });
    const listed = await api(cloud.url, `/api/v1/entries?ticket=${ticket.id}`);
    assert.is(listed.body.items.length, 1);
    assert.is(listed.body.items[0].device, 'gate-1');
    assert.is(listed.body.items[0].lane, 'east-1');
  } finally {
    await gate.stop();
    await httpLink.stop();
    await mqttLink.stop();
    await cloud.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('bad input is refused, each with its own reason, and the gate keeps running', async () => {
  const cloud = await startTestCloud();
  await provisionGates(cloud.url, 'demo', [['gate-2', 'lane-1']]);
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-gate-'));
  const config = parseGateConfig(withGateToken({
    device: 'gate-2', site: 'demo', dataDir, cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, pullIntervalMs: 300,
  }));
  const gate = new GateAgent(config, { turnstile: new SimTurnstile({ autoPass: true, passDelayMs: 5 }), scanner: new SimScanner(), log: testLog });
  await gate.start();
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: ADULT });
    const sale = await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } });
    await waitFor('key synced', () => gate.store.keyring.size > 0);
    const t = sale.body.tickets[0];
    const stranger = encodeTicketCode({ ticketId: t.id, typeId: 1, validFrom: 0, validUntil: 4_000_000_000, persons: 1, entries: 1 }, generateIssuerKey());
    const cases: [string, string][] = [
      [randomBytes(64).toString('latin1'), 'malformed'],
      ['', 'empty'],
      ['票'.repeat(5000) + 'x'.repeat(5240), 'too_long'],
      [stranger, 'unknown_key'],
      ['6901234567890', 'unknown'],
    ];
    const reasons = new Set<string>();
    for (const [input, reason] of cases) {
      const d = await gate.present(input);
      assert.is(d.admit, false);
      assert.is(d.reason, reason, JSON.stringify(input).slice(0, 40));
      assert.ok(d.message.length > 0);
      reasons.add(d.reason);
    }
    assert.is(reasons.size, cases.length, 'each refusal has its own reason');
    // Still running: the real ticket is admitted after all that.
    assert.is((await gate.present(t.code)).admit, true);
    assert.is(gate.counters.admitted, 1);
    assert.is(gate.counters.refused, cases.length);
  } finally {
    await gate.stop();
    await cloud.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
