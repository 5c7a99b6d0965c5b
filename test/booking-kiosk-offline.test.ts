import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lookupHash } from '../shared/booking/lookup.ts';
import { publicKeyFromRaw } from '../shared/code/keys.ts';
import { readTicketCode } from '../shared/code/ticket-code.ts';
import { changeBatch, type BookingRow } from '../shared/sync/messages.ts';
import { Cloud } from '../cloud/server.ts';
import { api, startTestCloud, testLog } from './support/cloud.ts';
import { testDeviceHeader } from './support/devices.ts';
import { provision } from './support/provision.ts';

/**
 * The HQ side of a kiosk pickup while HQ is out of reach: a booking made online reaches the
 * site's change log; a kiosk's cache (here: the pulled log, as a kiosk would hold it) finds it
 * by phone, ID number or QR while HQ is down; the pickups reach HQ when it is back, once each,
 * and a second pickup of the same booking elsewhere is kept and flagged.
 */
class KioskCache {
  bookings = new Map<string, BookingRow>();
  keys = new Map<string, ReturnType<typeof publicKeyFromRaw>>();
  since = 0;
  pending: { pickupId: string; orderNo: string; at: number }[] = [];
  constructor(readonly device: string) {}

  async pull(base: string): Promise<void> {
    for (;;) {
      const res = await fetch(`${base}/api/v1/sync/changes?site=demo&since=${this.since}&limit=500`, { headers: testDeviceHeader('demo', this.device, 'kiosk') });
      assert.is(res.status, 200);
      const batch = changeBatch.parse(await res.json());
      for (const c of batch.changes) {
        if (c.kind === 'booking') this.bookings.set(c.booking.orderNo, c.booking);
        if (c.kind === 'key') this.keys.set(c.keyId, publicKeyFromRaw(Buffer.from(c.publicKey, 'hex')));
      }
      this.since = batch.next;
      if (!batch.more) return;
    }
  }

  find(by: { phone?: string; id?: string; code?: string }): BookingRow[] {
    return [...this.bookings.values()].filter((b) => b.state === 'issued' && (
      (by.phone && b.phoneHash === lookupHash('phone', by.phone)) || (by.id && b.idHash === lookupHash('id', by.id)) || (by.code && b.pickupCode === by.code)));
  }

  pickUp(b: BookingRow, n: number, at: number): string[] {
    this.pending.push({ pickupId: `${this.device}:${n}`, orderNo: b.orderNo, at });
    b.state = 'picked_up';
    return b.tickets.map((t) => t.code);
  }

  async upload(base: string) {
    const res = await fetch(`${base}/api/v1/sync/pickups`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...testDeviceHeader('demo', this.device, 'kiosk') },
      body: JSON.stringify({ device: this.device, pickups: this.pending }),
    });
    return { status: res.status, body: (await res.json()) as any };
  }
}

test('a booking made online is picked up at a kiosk while HQ is down; the pickup reaches HQ later', async () => {
  const cloud = await startTestCloud();
  await provision(cloud.url, 'demo', [{ device: 'kiosk-1', role: 'kiosk' }, { device: 'kiosk-2', role: 'kiosk' }, { device: 'gate-1', lanes: ['lane-1'] }]);
  let again: Cloud | undefined;
  try {
    const base = cloud.url;
    assert.is((await api(base, '/api/v1/ticket-types', { body: { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 } })).status, 201);
    const ch = await api(base, '/api/v1/channels/admin', { body: { code: 'web', name: '官网', kind: 'web' } });
    await api(base, '/api/v1/channels/admin/web/prices', { method: 'PUT', body: { prices: [{ type: 'adult', priceFen: 11000 }] } });
    const h = { 'X-Channel-Key': ch.body.apiKey };
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const book = async (phone: string, idNumber: string | undefined, ref: string) => {
      const b = await api(base, '/api/v1/channels/bookings', { token: null, headers: { ...h, 'Idempotency-Key': `${ref}-b` }, body: { visitDay: today, items: [{ type: 'adult', quantity: 2 }], contact: { name: '游客', phone, idNumber } } });
      assert.is(b.status, 201, JSON.stringify(b.body));
      const p = await api(base, `/api/v1/channels/bookings/${b.body.orderNo}/pay`, { token: null, headers: { ...h, 'Idempotency-Key': `${ref}-p` }, body: { amountFen: 22000, paymentRef: ref } });
      assert.is(p.status, 200, JSON.stringify(p.body));
      return p.body;
    };
    const one = await book('13811112222', '11010519491231002X', 'w1');
    const two = await book('13833334444', undefined, 'w2');

    // A gate's pull leaves the bookings out; a kiosk's has them.
    const gatePull = await fetch(`${base}/api/v1/sync/changes?site=demo&since=0&limit=5000`, { headers: testDeviceHeader('demo', 'gate-1', 'gate') });
    const gateBatch = changeBatch.parse(await gatePull.json());
    assert.ok(gateBatch.changes.some((c) => c.kind === 'ticket'));
    assert.not.ok(gateBatch.changes.some((c) => c.kind === 'booking'));
    const k1 = new KioskCache('kiosk-1');
    const k2 = new KioskCache('kiosk-2');
    await k1.pull(base);
    await k2.pull(base);
    assert.is(k1.bookings.size, 2);

    // HQ goes away.
    await cloud.stop();
    assert.is(await fetch(`${base}/api/v1/health`).then(() => 'up', () => 'down'), 'down');

    // At kiosk 1: by phone, by ID number, by the booking's QR.
    const [byPhone] = k1.find({ phone: '138 1111 2222' });
    assert.is(byPhone?.orderNo, one.orderNo);
    assert.is(k1.find({ id: '11010519491231002x' })[0]?.orderNo, one.orderNo);
    assert.is(k1.find({ code: two.pickupCode })[0]?.orderNo, two.orderNo);
    const printed = k1.pickUp(byPhone!, 1, Date.now());
    assert.equal(printed, one.tickets.map((t: any) => t.code));
    for (const code of printed) assert.ok(readTicketCode(code, k1.keys).ok, 'a code the gates admit');
    k1.pickUp(k1.find({ code: two.pickupCode })[0]!, 2, Date.now());
    // Kiosk 2, also cut off, hands out booking one again.
    k2.pickUp(k2.find({ phone: '13811112222' })[0]!, 1, Date.now());

    // HQ is back (same data): the kiosks upload; a resend changes nothing.
    again = new Cloud(cloud.config, testLog.child('cloud-again'));
    await again.start();
    const up1 = await k1.upload(again.url);
    assert.is(up1.status, 200, JSON.stringify(up1.body));
    assert.equal(up1.body.results.map((r: any) => r.result), ['picked_up', 'picked_up']);
    assert.equal((await k1.upload(again.url)).body, up1.body);
    const up2 = await k2.upload(again.url);
    assert.equal(up2.body.results.map((r: any) => r.result), ['duplicate']);
    const flagged = await api(again.url, '/api/v1/channels/admin/pickups/flagged');
    assert.equal(flagged.body.map((f: any) => [f.orderNo, f.device, f.flag]), [[one.orderNo, 'kiosk-2', 'duplicate']]);
    const seen = await api(again.url, `/api/v1/channels/bookings/${one.orderNo}`, { token: null, headers: h });
    assert.is(seen.body.state, 'picked_up');
    // The new state reaches the kiosks' caches, and nobody can cancel it any more.
    await k2.pull(again.url);
    assert.is(k2.bookings.get(two.orderNo)!.state, 'picked_up');
    const cancel = await api(again.url, `/api/v1/channels/bookings/${two.orderNo}/cancel`, { token: null, headers: { ...h, 'Idempotency-Key': 'c-2' }, body: {} });
    assert.is(cancel.status, 409);
    // A kiosk speaks only for itself.
    const forged = await fetch(`${again.url}/api/v1/sync/pickups`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...testDeviceHeader('demo', 'kiosk-1', 'kiosk') },
      body: JSON.stringify({ device: 'kiosk-2', pickups: [{ pickupId: 'kiosk-2:9', orderNo: two.orderNo }] }),
    });
    assert.is(forged.status, 403);
    const anonymous = await fetch(`${again.url}/api/v1/sync/pickups`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.is(anonymous.status, 401);
  } finally {
    await again?.stop();
    await cloud.cleanup();
  }
});

test.run();
