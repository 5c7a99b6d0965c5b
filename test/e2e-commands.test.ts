import { testHqMqtt } from './support/devices.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { topics } from '../shared/sync/topics.ts';
import { api, startTestCloud, waitFor } from './support/cloud.ts';
import { startTestGate } from './support/gate.ts';
import { provision } from './support/provision.ts';

test('commands: accepted then done, run once, never after expiry; HQ sees presence, backlog and lag', async () => {
  const cloud = await startTestCloud();
  await provision(cloud.url, 'demo', [{ device: 'gate-c', lanes: ['lane-1'] }]);
  const gate = await startTestGate({ device: 'gate-c', cloudUrl: cloud.url, mqttUrl: cloud.mqttUrl, heartbeatMs: 1000 }, { turnstile: { autoPass: true, passDelayMs: 20 } });
  const watcher = await mqtt.connectAsync(cloud.mqttUrl, { clientId: 'test-watch', ...testHqMqtt('test-watch') });
  const answers: { id: string; status: string }[] = [];
  await watcher.subscribeAsync(topics.cmdRes('demo', 'gate-c'), { qos: 1 });
  watcher.on('message', (_t, p) => answers.push(JSON.parse(p.toString())));
  try {
    await waitFor('gate online at HQ', async () => (await api(cloud.url, '/api/v1/sites/demo/devices')).body.items.some((d: any) => d.online));
    const sent = await api(cloud.url, '/api/v1/sites/demo/devices/gate-c/commands', { body: { name: 'open-once' } });
    assert.is(sent.status, 201);
    const id = sent.body.id;
    await waitFor('done', async () => (await api(cloud.url, `/api/v1/commands/${id}`)).body.status === 'done');
    // HQ and this watcher each get the gate's answers from the broker: the watcher may be a moment later.
    await waitFor('both answers seen', () => answers.filter((a) => a.id === id).length >= 2);
    assert.equal(answers.filter((a) => a.id === id).map((a) => a.status), ['accepted', 'done']);
    assert.ok(gate.turnstile.history.some((h) => h.op === 'open' && h.persons === 1));

    // The same request delivered again (a retry): answered again, not run again.
    const opens = () => gate.turnstile.history.filter((h) => h.op === 'open').length;
    const before = opens();
    const expiresAt = Date.now() + 60_000;
    const again = { id, name: 'open-once', args: {}, expiresAt };
    await watcher.publishAsync(topics.cmdReq('demo', 'gate-c'), JSON.stringify(again), { qos: 1 });
    await waitFor('third answer', () => answers.filter((a) => a.id === id).length === 3);
    assert.is(opens(), before);

    // An expired command is answered 'expired' and never runs.
    const old = { id: randomUUID(), name: 'open-once', args: {}, expiresAt: Date.now() - 5000 };
    await watcher.publishAsync(topics.cmdReq('demo', 'gate-c'), JSON.stringify(old), { qos: 1 });
    await waitFor('expired answer', () => answers.some((a) => a.id === old.id && a.status === 'expired'));
    assert.is(opens(), before);

    const sync = await api(cloud.url, '/api/v1/sites/demo/devices/gate-c/commands', { body: { name: 'sync-now' } });
    await waitFor('sync done', async () => (await api(cloud.url, `/api/v1/commands/${sync.body.id}`)).body.status === 'done');
    const reboot = await api(cloud.url, '/api/v1/sites/demo/devices/gate-c/commands', { body: { name: 'reboot' } });
    await waitFor('reboot rejected', async () => (await api(cloud.url, `/api/v1/commands/${reboot.body.id}`)).body.status === 'rejected');
    const bad = await api(cloud.url, '/api/v1/sites/demo/devices/gate-c/commands', { body: { name: 'self-destruct' } });
    assert.is(bad.status, 400);

    // HQ's view: online, last seen, backlog, checkpoint lag (0 once synced).
    await api(cloud.url, '/api/v1/ticket-types', { body: { code: 'adult', name: '成人票', priceFen: 100, validityDays: 1, entries: 1, persons: 1 } });
    await waitFor('lag back to 0', async () => {
      const [d] = (await api(cloud.url, '/api/v1/sites/demo/devices')).body.items;
      return d.online && d.backlog === 0 && d.checkpointLag === 0 && d.status.checkpoint > 0;
    }, 5000);
    await gate.agent.stop();
    await waitFor('offline once stopped', async () => !(await api(cloud.url, '/api/v1/sites/demo/devices')).body.items[0].online, 5000);
  } finally {
    await watcher.endAsync();
    await gate.cleanup().catch(() => undefined);
    await cloud.cleanup();
  }
});

test.run();
