import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkSim } from './tools/link-sim.ts';
import { GateProcess } from './support/gate-process.ts';
import { ADULT, api, startTestCloud, waitFor } from './support/cloud.ts';
import { provision } from './support/provision.ts';

test('a gate killed with SIGKILL right after admitting keeps the entry and uploads it once', async () => {
  const cloud = await startTestCloud();
  await provision(cloud.url, 'demo', [{ device: 'gate-9', lanes: ['lane-1'] }]);
  const mqttLink = new LinkSim({ target: { host: '127.0.0.1', port: cloud.mqttPort } });
  await mqttLink.start();
  const dir = mkdtempSync(join(tmpdir(), 'tk-crash-'));
  const gate = GateProcess.write(dir, {
    device: 'gate-9', site: 'demo', dataDir: join(dir, 'data'), cloudUrl: cloud.url,
    mqttUrl: `mqtt://127.0.0.1:${mqttLink.port}`, pullIntervalMs: 300, ackTimeoutMs: 500,
    console: { port: 0 },
  });
  try {
    await api(cloud.url, '/api/v1/ticket-types', { body: { ...ADULT, entries: 2 } });
    const sale = await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } });
    const ticket = sale.body.tickets[0];
    await gate.start();
    await waitFor('gate synced', async () => (await gate.status()).link.checkpoint >= 2, 15_000);

    // Uploads cannot leave: the entry must survive in the gate alone.
    mqttLink.cut();
    await waitFor('uplink down', async () => !(await gate.status()).link.connected);
    const d = await gate.scan(ticket.code);
    assert.is(d.admit, true, d.message);
    await gate.kill('SIGKILL');

    mqttLink.restore();
    await gate.start();
    const s = await gate.status();
    assert.is(s.link.outbox, 1, 'the entry is still queued after the crash');
    await waitFor('entry at HQ', async () => (await api(cloud.url, `/api/v1/tickets/${ticket.id}`)).body.used.entries >= 1, 15_000);
    await waitFor('outbox drained', async () => (await gate.status()).link.outbox === 0);
    // Once, not twice; and the gate still remembers it: one of two entries left.
    assert.equal((await api(cloud.url, `/api/v1/tickets/${ticket.id}`)).body.used, { entries: 1, persons: 1 });
    const again = await gate.scan(ticket.code);
    assert.is(again.admit, true);
    assert.is(again.remaining, 0, 'the pre-crash entry still counts');
    assert.is((await gate.scan(ticket.code)).reason, 'used');

    // Killed while connected, right after admitting: still exactly one more entry at HQ.
    const sale2 = await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 1 } });
    const t2 = sale2.body.tickets[0];
    assert.is((await gate.scan(t2.code)).admit, true);
    await waitFor('HQ sees gate-9 online', async () => (await api(cloud.url, '/api/v1/devices')).body.items.some((d: any) => d.device === 'gate-9' && d.online));
    await gate.kill('SIGKILL');
    // The broker publishes the last will when the socket dies: HQ shows the gate offline.
    await waitFor('HQ sees gate-9 offline', async () => (await api(cloud.url, '/api/v1/devices')).body.items.some((d: any) => d.device === 'gate-9' && !d.online));
    await gate.start();
    await waitFor('second entry at HQ', async () => (await api(cloud.url, `/api/v1/tickets/${t2.id}`)).body.used.entries === 1, 15_000);
    await waitFor('outbox drained again', async () => (await gate.status()).link.outbox === 0);
    await new Promise((r) => setTimeout(r, 600)); // past the ack timeout: any re-send would have landed
    assert.equal((await api(cloud.url, `/api/v1/tickets/${t2.id}`)).body.used, { entries: 1, persons: 1 });
    assert.equal((await api(cloud.url, `/api/v1/tickets/${ticket.id}`)).body.used, { entries: 2, persons: 2 });
  } finally {
    await gate.kill('SIGKILL');
    await mqttLink.stop();
    await cloud.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
