import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addDays, businessDay } from '../shared/time/zone.ts';
import { api, startTestCloud } from './support/cloud.ts';
import { cash, must, seedOffice } from './support/office.ts';

// Days that the calendar does not have are refused wherever the API takes a day, and a day's
// capacity is never set below what is already sold for it.
type Cloud = Awaited<ReturnType<typeof startTestCloud>>;
let cloud: Cloud;
let u: string;
let seller: { token: string };

test.before(async () => {
  cloud = await startTestCloud();
  u = cloud.url;
  seller = (await seedOffice(u)).sellers[0]!;
  must(await api(u, '/api/v1/shifts', { body: { floatFen: 0 }, token: seller.token }), 201);
});
test.after(async () => cloud.cleanup());

test('impossible days are 400 in paths, bodies and queries; 29 February of a leap year passes', async () => {
  const refused: [string, string, unknown?][] = [
    ['PUT', '/api/v1/capacity/adult/2026-02-30', { capacity: 5 }],
    ['GET', '/api/v1/capacity/adult/2026-02-29'],
    ['PUT', '/api/v1/holidays/2026-02-30', { name: '不存在' }],
    ['PUT', '/api/v1/holidays/2026-04-31', { name: '不存在' }],
    ['POST', '/api/v1/price-rules', { type: 'adult', name: 'x', fromDay: '2026-02-30', priceFen: 1 }],
    ['GET', '/api/v1/origin/stats?from=2026-02-30&to=2026-03-01'],
  ];
  for (const [method, path, body] of refused) {
    const r = await api(u, path, { method, body });
    assert.is(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`);
    assert.match(JSON.stringify(r.body.error), /calendar day|not a day|日期/, `${path}: ${JSON.stringify(r.body.error)}`);
  }
  const order = await api(u, '/api/v1/orders', { body: { visitDay: '2030-02-29', lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] }, token: seller.token });
  assert.is(order.status, 400, JSON.stringify(order.body));
  must(await api(u, '/api/v1/holidays/2028-02-29', { method: 'PUT', body: { name: '闰日' } }), 200);
  assert.is(must(await api(u, '/api/v1/capacity/adult/2028-02-29', { method: 'PUT', body: { capacity: 9 } }), 200).capacity, 9);
});

test('capacity below what is sold is a 409 naming the sold count; at or above it, and unlimited, pass', async () => {
  const now = (await api(u, '/api/v1/health')).body.time as number;
  const day = addDays(businessDay(now, 'Asia/Shanghai'), 2);
  must(await api(u, '/api/v1/orders', { body: { visitDay: day, lines: [{ type: 'adult', quantity: 3 }], payments: [cash(36000)] }, token: seller.token }), 201);
  assert.is(must(await api(u, `/api/v1/capacity/adult/${day}`), 200).sold, 3);
  const low = await api(u, `/api/v1/capacity/adult/${day}`, { method: 'PUT', body: { capacity: 2 } });
  assert.is(low.status, 409);
  assert.is(low.body.error.code, 'capacity_below_sold');
  assert.equal(low.body.error.details, { type: 'adult', day, sold: 3, capacity: 2 });
  assert.match(low.body.error.message, /已售 3/);
  assert.equal(must(await api(u, `/api/v1/capacity/adult/${day}`), 200), { type: 'adult', day, capacity: null, sold: 3, left: null }, 'unchanged');
  assert.equal(must(await api(u, `/api/v1/capacity/adult/${day}`, { method: 'PUT', body: { capacity: 3 } }), 200).left, 0);
  assert.is(must(await api(u, `/api/v1/capacity/adult/${day}`, { method: 'PUT', body: { capacity: null } }), 200).capacity, null);
  // A day nothing is sold for yet takes any capacity, 0 included.
  assert.is(must(await api(u, `/api/v1/capacity/adult/${addDays(day, 1)}`, { method: 'PUT', body: { capacity: 0 } }), 200).capacity, 0);
});

test.run();
