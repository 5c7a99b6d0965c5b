import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { packBatch } from '../../shared/sync/pack.ts';
import type { UpBatch } from '../../shared/sync/messages.ts';
import { api, startTestCloud } from '../../test/support/cloud.ts';
import { testDeviceHeader } from '../../test/support/devices.ts';
import { provision } from '../../test/support/provision.ts';

/** Uploads over HTTP (handhelds): the gates' batch and ack, idempotent, only a device's own. */
test('a batch over HTTP is ingested once and acked up to N; another device\'s or a broken one is refused', async () => {
  const cloud = await startTestCloud();
  try {
    await provision(cloud.url, 'demo', [{ device: 'hh-9', lanes: ['car-park'] }, { device: 'gate-x', lanes: ['lane-x'] }]);
    const ticket = (await api(cloud.url, '/api/v1/ticket-types', { body: { code: 'park', name: '停车场入口票', priceFen: 1000, validityDays: 1, entries: 0, persons: 1, rules: { kind: 'visitor' } } })).status === 201
      ? (await api(cloud.url, '/api/v1/sales', { body: { type: 'park', quantity: 1 } })).body.tickets[0] : undefined;
    const now = Date.now();
    const batch: UpBatch = {
      device: 'hh-9', epoch: randomUUID(), firstSeq: 1, lastSeq: 2,
      entries: [1, 2].map((i) => ({ nonce: randomUUID(), ticketId: ticket.id, persons: 1, lane: 'car-park', venue: 'main', direction: 'in' as const, kind: i === 1 ? 'normal' as const : 'reentry' as const, deviceTime: now + i, correctedTime: now + i })),
    };
    const post = (body: Uint8Array | string, headers: Record<string, string>) => fetch(`${cloud.url}/api/v1/sync/up`, { method: 'POST', headers, body });
    const auth = testDeviceHeader('demo', 'hh-9');
    for (let i = 0; i < 2; i++) {
      const r = await post(packBatch(batch), { ...auth, 'content-type': 'application/octet-stream' });
      assert.is(r.status, 200);
      assert.equal(await r.json(), { epoch: batch.epoch, upTo: 2 });
    }
    const json = await post(JSON.stringify(batch), { ...auth, 'content-type': 'application/json' });
    assert.equal(await json.json(), { epoch: batch.epoch, upTo: 2 }, 'the JSON form is the same batch');
    const items = (await api(cloud.url, `/api/v1/entries?ticket=${ticket.id}`)).body.items as unknown[];
    assert.is(items.length, 2, 'each entry once');

    const other = await post(JSON.stringify(batch), { ...testDeviceHeader('demo', 'gate-x'), 'content-type': 'application/json' });
    assert.is(other.status, 403);
    const broken = await post('{"device":"hh-9"}', { ...auth, 'content-type': 'application/json' });
    assert.is(broken.status, 400);
    assert.is(((await broken.json()) as { error: { code: string } }).error.code, 'bad_batch');
    const nobody = await post(JSON.stringify(batch), { 'content-type': 'application/json' });
    assert.is(nobody.status, 401);
  } finally {
    await cloud.cleanup();
  }
});

test.run();
