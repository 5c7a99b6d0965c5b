import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openHq } from '../../test/support/hq.ts';

/**
 * Routes whose key is looked up after the handler (lookupAfter: the booking API, window
 * orders) answer a retry as before: from the key, marked replayed, even when running it again
 * would now be refused (the quota is used up meanwhile, the booking is paid), and a key used
 * with another body is still a conflict. Nothing is written twice.
 */
test('a retry of a committed booking, payment and window order is answered from its key', async () => {
  const hq = await openHq({ now: Date.UTC(2026, 10, 25, 2, 0) });
  try {
    assert.is((await hq.req('POST', '/api/v1/ticket-types', { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 })).status, 201);
    const key = (await hq.req('POST', '/api/v1/channels/admin', { code: 'ota', name: 'OTA', kind: 'ota', dailyQuota: 2 })).body.apiKey as string;
    await hq.req('PUT', '/api/v1/channels/admin/ota/prices', { prices: [{ type: 'adult', priceFen: 10000 }] });
    const send = async (path: string, body: unknown, idem: string, headers: Record<string, string> = { 'X-Channel-Key': key }) => {
      const res = await hq.app.request(`/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'Idempotency-Key': idem, ...headers }, body: JSON.stringify(body) });
      return { status: res.status, replayed: res.headers.get('Idempotent-Replayed'), body: await res.json() as any };
    };
    const booking = { visitDay: '2026-11-27', items: [{ type: 'adult', quantity: 2 }], contact: { name: '游客', phone: '13900000000' } };
    const first = await send('/channels/bookings', booking, 'b-1');
    assert.is(first.status, 201, JSON.stringify(first.body));
    assert.is(first.replayed, null);
    // The quota (2) is used up by the first booking: run again, it would be refused; the retry is answered from its key.
    const again = await send('/channels/bookings', booking, 'b-1');
    assert.equal({ status: again.status, replayed: again.replayed, body: again.body }, { status: 201, replayed: 'true', body: first.body });
    const other = await send('/channels/bookings', { ...booking, items: [{ type: 'adult', quantity: 1 }] }, 'b-1');
    assert.is(other.status, 409);
    assert.is(other.body.error.code, 'idempotency_conflict');
    const fresh = await send('/channels/bookings', { ...booking, items: [{ type: 'adult', quantity: 1 }] }, 'b-2');
    assert.is(fresh.body.error?.code, 'quota_exceeded', 'a new key is run, and refused');
    assert.is(fresh.replayed, null);

    const pay = { amountFen: first.body.totalFen, paymentRef: 'P-1' };
    const paid = await send(`/channels/bookings/${first.body.orderNo}/pay`, pay, 'p-1');
    assert.is(paid.status, 200, JSON.stringify(paid.body));
    const repaid = await send(`/channels/bookings/${first.body.orderNo}/pay`, pay, 'p-1');
    assert.equal({ status: repaid.status, replayed: repaid.replayed, body: repaid.body }, { status: 200, replayed: 'true', body: paid.body });

    const order = { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'cash', amountFen: 12000, tenderedFen: 20000 }] };
    const admin = (await hq.userToken('seller1', ['administrator']));
    const sold = await send('/orders', order, 'w-1', { authorization: `Bearer ${admin}` });
    assert.is(sold.status, 201, JSON.stringify(sold.body));
    const resold = await send('/orders', order, 'w-1', { authorization: `Bearer ${admin}` });
    assert.equal({ status: resold.status, replayed: resold.replayed, body: resold.body }, { status: 201, replayed: 'true', body: sold.body });

    const count = async (q: string) => {
      const r = (await hq.ctx.db.execute(q)) as unknown as { rows?: { n: number }[] } & { n: number }[];
      return (r.rows ?? r)[0]!.n;
    };
    assert.is(await count(`select count(*)::int as n from bookings`), 1, 'one booking');
    assert.is(await count(`select count(*)::int as n from orders`), 2, 'one order for the payment, one at the window');
    assert.is(await count(`select count(*)::int as n from tickets`), 3);
  } finally {
    await hq.close();
  }
});

test.run();
