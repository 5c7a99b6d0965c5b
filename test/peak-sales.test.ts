import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bookingChannel, today } from './support/channel.ts';
import { api, onBothBackends, startTestCloud } from './support/cloud.ts';

/**
 * N concurrent buyers over real HTTP never oversell a time slot: each books one ticket in a
 * slot of 20 (2 of them kept for the windows) and pays; exactly 18 bookings are made, the
 * rest refused with slot_full, and the slot's count, the tickets bound to it and the public
 * page agree. On PGlite, and on the Postgres server when TEST_DATABASE_URL names one.
 */
async function buyers(extra: Record<string, unknown>, label: string): Promise<void> {
  const cloud = await startTestCloud(extra);
  try {
    const ch = await bookingChannel(cloud.url, 'fliggy');
    const day = today();
    await api(cloud.url, '/api/v1/slots/demo/main', { body: { fromDay: day, toDay: day, start: '00:00', end: '24:00', everyMinutes: 1440, quota: 20, walkIn: 2 } });
    const N = 60;
    const results = await Promise.all(Array.from({ length: N }, async (_, i) => {
      const res = await fetch(`${cloud.url}/api/v1/channels/bookings`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': ch.key, 'Idempotency-Key': `buyer-${i}` },
        body: JSON.stringify({ visitDay: day, slot: '00:00', items: [{ type: 'adult', quantity: 1 }], contact: { name: `买家${i}`, phone: `1380013${String(i).padStart(4, '0')}` } }),
      });
      const body = await res.json() as any;
      if (res.status !== 201) return { status: res.status, code: body.error?.code as string };
      const paid = await fetch(`${cloud.url}/api/v1/channels/bookings/${body.orderNo}/pay`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': ch.key, 'Idempotency-Key': `pay-${i}` },
        body: JSON.stringify({ amountFen: body.totalFen, paymentRef: `P${i}` }),
      });
      return { status: paid.status, code: paid.status === 200 ? 'paid' : ((await paid.json()) as any).error?.code };
    }));
    const paid = results.filter((r) => r.code === 'paid').length;
    assert.is(paid, 18, `${label}: ${JSON.stringify(results.filter((r) => r.code !== 'paid' && r.code !== 'slot_full'))}`);
    assert.is(results.filter((r) => r.code === 'slot_full').length, N - 18, label);
    const [slot] = (await api(cloud.url, `/api/v1/slots/demo/main?day=${day}`)).body.items;
    assert.equal([slot.sold, slot.soldWalkIn, slot.remaining], [18, 0, 2], label);
    const pub = (await api(cloud.url, '/api/v1/public/capacity', { token: null })).body;
    assert.is(pub.venues[0].slots[0].remaining, 2, label);
  } finally {
    await cloud.cleanup();
  }
}

onBothBackends(test, '60 concurrent buyers, a slot of 20 with 2 for the windows: 18 sold, never more', buyers);

test.run();
