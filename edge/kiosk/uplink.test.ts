import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { silentLogger } from '../../shared/log/logger.ts';
import { openKioskDb } from './db/open.ts';
import { HqClient } from '../agent/hq.ts';
import { KioskStore } from './store.ts';
import { PickupUplink } from './uplink.ts';

/** A stand-in for HQ's POST /api/v1/sync/pickups that records each pickup id once. */
function fakeHq() {
  const state = { mode: 'ok' as 'ok' | 'down', refuse: new Set<string>(), rejectItem: new Set<string>(), recorded: new Map<string, number>(), posts: 0 };
  const app = new Hono().post('/api/v1/sync/pickups', async (c) => {
    state.posts++;
    if (state.mode === 'down') return c.json({ error: { code: 'internal', message: 'down' } }, 503);
    const body = (await c.req.json()) as { device: string; pickups: { pickupId: string; orderNo: string }[] };
    const bad = body.pickups.find((p) => state.refuse.has(p.orderNo));
    if (bad) return c.json({ error: { code: 'wrong_site', message: `booking ${bad.orderNo} is for another site` } }, 409);
    if (body.pickups.some((p) => state.rejectItem.has(p.orderNo))) {
      // HQ's per-item answer: one refused, the rest recorded.
      return c.json({ results: body.pickups.map((p) => state.rejectItem.has(p.orderNo)
        ? { pickupId: p.pickupId, orderNo: p.orderNo, result: 'rejected', error: { code: 'pickup_id_reused', message: 'reused' } }
        : (state.recorded.set(p.pickupId, (state.recorded.get(p.pickupId) ?? 0) + 1), { pickupId: p.pickupId, orderNo: p.orderNo, result: 'picked_up' })) });
    }
    for (const p of body.pickups) state.recorded.set(p.pickupId, (state.recorded.get(p.pickupId) ?? 0) + 1);
    return c.json({ results: body.pickups.map((p) => ({ pickupId: p.pickupId, orderNo: p.orderNo, result: 'picked_up' })) });
  });
  let server: ServerType;
  return {
    state,
    async start() {
      server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
      });
      return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function queue(store: KioskStore, orderNo: string, n: number) {
  const p = store.beginPickup({ pickupId: `pickup-${orderNo}`, orderNo, total: 1, source: 'cache' });
  store.ticketPrinted(p.pickupId, `t-${n}`, 'demo');
}

const until = async (what: string, check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('queued while HQ is down, sent with backoff once it is up; a refused pickup does not hold the rest', async () => {
  const hq = fakeHq();
  const url = await hq.start();
  const store = new KioskStore(openKioskDb(':memory:'));
  const client = new HqClient({ cloudUrl: url, username: 'kiosk:demo:kiosk-1', token: 't', timeoutMs: 1000 });
  const uplink = new PickupUplink({ store, hq: client, device: 'kiosk-1', log: silentLogger, now: Date.now, retryMinMs: 50, retryMaxMs: 200, random: () => 1 });
  try {
    hq.state.mode = 'down';
    for (const [i, o] of ['B1', 'B2', 'B3'].entries()) queue(store, o, i);
    uplink.start();
    await until('three failed sends', () => hq.state.posts >= 3);
    assert.is(store.outboxSize(), 3, 'nothing leaves without an answer');
    const row = store.db.$client.prepare('select attempts, last_error as lastError from outbox order by seq limit 1').get() as { attempts: number; lastError: string };
    assert.ok(row.attempts >= 1, 'failures are counted');
    assert.match(row.lastError, /503/);

    hq.state.refuse.add('B2');
    hq.state.mode = 'ok';
    await until('queue drained', () => store.outboxSize() === 0);
    assert.is(store.pickup('pickup-B1')!.hqResult, 'picked_up');
    assert.is(store.pickup('pickup-B2')!.hqResult, 'rejected:wrong_site');
    assert.is(store.pickup('pickup-B3')!.hqResult, 'picked_up');
    assert.is(hq.state.recorded.get('pickup-B1'), 1);

    // One pickup of a batch refused by HQ on its own: kept with HQ's reason, the other recorded.
    hq.state.rejectItem.add('B5');
    queue(store, 'B5', 5);
    queue(store, 'B6', 6);
    await uplink.kick();
    assert.is(store.pickup('pickup-B5')!.hqResult, 'rejected:pickup_id_reused');
    assert.is(store.pickup('pickup-B6')!.hqResult, 'picked_up');

    // A pickup queued later is sent at once (kick), without waiting for a timer.
    queue(store, 'B4', 4);
    await uplink.kick();
    assert.is(store.outboxSize(), 0);
    assert.is(hq.state.recorded.get('pickup-B4'), 1);
  } finally {
    await uplink.stop();
    client.close();
    await hq.stop();
  }
});

test('stop() ends promptly with a send hanging on a dead HQ', async () => {
  const store = new KioskStore(openKioskDb(':memory:'));
  // A server that accepts and never answers.
  const { createServer } = await import('node:net');
  const sockets: import('node:net').Socket[] = [];
  const dead = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
  const client = new HqClient({ cloudUrl: `http://127.0.0.1:${(dead.address() as { port: number }).port}`, username: 'kiosk:demo:kiosk-1', timeoutMs: 1000 });
  const uplink = new PickupUplink({ store, hq: client, device: 'kiosk-1', log: silentLogger, now: Date.now, retryMinMs: 50, retryMaxMs: 200 });
  queue(store, 'B9', 9);
  uplink.start();
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  const stopping = uplink.stop();
  client.close();
  await stopping;
  assert.ok(Date.now() - t0 < 1000, `stopped in ${Date.now() - t0} ms`);
  assert.is(store.outboxSize(), 1, 'still queued');
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => dead.close(() => r()));
});

test.run();
