/**
 * Queries per sale (npx tsx test/bench/peak-queries.ts, with TEST_DATABASE_URL): HQ in this
 * process on a fresh Postgres database, every statement the pool sends counted (node-postgres'
 * Client.query wrapped), for one booking + pay and for one window order, after a warm-up of
 * each. Each statement is one round trip to the server: the lever for peak speed (issue 21).
 * PEAK_QUERIES_SQL=1 prints the statements.
 */
import { api, freshPostgres, startTestCloud } from '../support/cloud.ts';
import { isPeriodic, recordStatements } from '../support/statements.ts';
import { addDays, businessDay, DEFAULT_TZ } from '../../shared/time/zone.ts';

const { seen } = recordStatements();

const db = await freshPostgres();
if (!db) throw new Error('TEST_DATABASE_URL is needed');
const cloud = await startTestCloud({ databaseUrl: db.url });
try {
  const base = cloud.url;
  await api(base, '/api/v1/ticket-types', { body: { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 } });
  const ch = await api(base, '/api/v1/channels/admin', { body: { code: 'ota', name: 'OTA', kind: 'ota', cancelCutoffMinutes: 0 } });
  await api(base, '/api/v1/channels/admin/ota/prices', { method: 'PUT', body: { prices: [{ type: 'adult', priceFen: 10000 }] } });
  const day = addDays(businessDay(Date.now(), DEFAULT_TZ), 2);
  await api(base, '/api/v1/slots/demo/main', { body: { fromDay: day, toDay: day, start: '08:00', end: '12:00', everyMinutes: 120, quota: 100, walkIn: 0 } });
  const key = ch.body.apiKey as string;
  const plain = addDays(day, 1);
  const book = async (i: number, slot?: string) => {
    const h = { 'X-Channel-Key': key, 'Idempotency-Key': `q-${i}` };
    const b = await api(base, '/api/v1/channels/bookings', { token: null, headers: h, body: { visitDay: slot ? day : plain, ...(slot ? { slot } : {}), items: [{ type: 'adult', quantity: 1 }], contact: { name: '游客', phone: '13900000000' } } });
    if (b.status !== 201) throw new Error(JSON.stringify(b));
    const p = await api(base, `/api/v1/channels/bookings/${b.body.orderNo}/pay`, { token: null, headers: { ...h, 'Idempotency-Key': `qp-${i}` }, body: { amountFen: b.body.totalFen, paymentRef: `P-${i}` } });
    if (p.status !== 200) throw new Error(JSON.stringify(p));
  };
  const order = async (i: number) => {
    const r = await api(base, '/api/v1/orders', { headers: { 'Idempotency-Key': `w-${i}` }, body: { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'cash', amountFen: 12000, tenderedFen: 12000 }] } });
    if (r.status !== 201) throw new Error(JSON.stringify(r));
  };
  const count = async (what: string, run: () => Promise<void>) => {
    await new Promise((r) => setTimeout(r, 300)); // the audit writer's batch of the warm-up
    seen.length = 0;
    await run();
    await new Promise((r) => setTimeout(r, 300));
    // Work done at most once a second per node or by a timer (a channel's key, its day's
    // expired holds, the OTA notices' poll) is not a sale's: counted apart.
    const periodic = seen.filter(isPeriodic).length;
    const n = seen.length - periodic;
    process.stderr.write(`${what}: ${n} statements (+${periodic} periodic)\n`);
    if (process.env.PEAK_QUERIES_SQL) for (const s of seen) process.stderr.write(`${isPeriodic(s) ? '* ' : '  '}${s.slice(0, 160)}\n`);
    return n;
  };
  await book(0); await book(1, '08:00'); await order(0);
  const out = {
    booking_pay: await count('booking + pay', () => book(2)),
    booking_pay_slot: await count('booking + pay in a slot', () => book(3, '08:00')),
    window_order: await count('window order', () => order(1)),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await cloud.cleanup();
  await db.drop();
}
