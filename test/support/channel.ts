import { businessDay, DEFAULT_TZ } from '../../shared/time/zone.ts';
import { api } from './cloud.ts';

/** Today in the site's zone: the day a kiosk hands bookings out. */
export const today = (now = Date.now()) => businessDay(now, DEFAULT_TZ);

/**
 * A channel with prices at a test cloud, and a function that books and pays for today:
 * the online booking a visitor then picks up at a kiosk.
 */
export async function bookingChannel(cloudUrl: string, code = 'web') {
  const types = await api(cloudUrl, '/api/v1/ticket-types');
  if (!(types.body.items ?? types.body).some((t: any) => t.code === 'adult')) {
    const r = await api(cloudUrl, '/api/v1/ticket-types', { body: { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 } });
    if (r.status !== 201) throw new Error(`ticket type: ${JSON.stringify(r.body)}`);
    await api(cloudUrl, '/api/v1/ticket-types', { body: { code: 'child', name: '儿童票', priceFen: 6000, validityDays: 1, entries: 1, persons: 1 } });
  }
  const made = await api(cloudUrl, '/api/v1/channels/admin', { body: { code, name: '官网', kind: 'web', cancelCutoffMinutes: 0 } });
  if (made.status !== 201) throw new Error(`channel: ${JSON.stringify(made.body)}`);
  const key = made.body.apiKey as string;
  await api(cloudUrl, `/api/v1/channels/admin/${code}/prices`, { method: 'PUT', body: { prices: [{ type: 'adult', priceFen: 10000 }, { type: 'child', priceFen: 5000 }] } });
  let n = 0;
  const ch = async (path: string, body: unknown) => {
    const res = await fetch(`${cloudUrl}/api/v1/channels${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': key, 'Idempotency-Key': `k-${Date.now()}-${++n}` }, body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  return {
    key,
    /** Books and pays; returns the issued booking (order number, pickup code, tickets). */
    async book(contact: { name: string; phone: string; idNumber?: string }, items = [{ type: 'adult', quantity: 2 }], visitDay = today()) {
      const b = await ch('/bookings', { visitDay, items, contact });
      if (b.status !== 201) throw new Error(`booking: ${JSON.stringify(b.body)}`);
      const paid = await ch(`/bookings/${b.body.orderNo}/pay`, { amountFen: b.body.totalFen, paymentRef: `PAY-${b.body.orderNo}` });
      if (paid.status !== 200) throw new Error(`pay: ${JSON.stringify(paid.body)}`);
      return paid.body as { orderNo: string; pickupCode: string; state: string; tickets: { id: string; code: string }[] };
    },
    async cancel(orderNo: string) {
      return ch(`/bookings/${orderNo}/cancel`, {});
    },
  };
}
