import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { z } from 'zod';
import { bookingChannel } from '../../test/support/channel.ts';
import { api, startTestCloud } from '../../test/support/cloud.ts';
import { cash, must, seedOffice } from '../../test/support/office.ts';
import { createApp } from '../app.ts';
import { routesOf } from './document.ts';

/** Real answers of HQ held to the schemas the OpenAPI document (and so the app's client) declares for them. */
const cloud = await startTestCloud();
test.after(async () => cloud.cleanup());
const seen = new Set<string>();
/** What routes with an endpoint() of their own declare. */
const routeSpecs = new Map(routesOf(createApp(cloud.ctx!), '/api/v1').filter((r) => r.specs.length).map((r) => [`${r.method} ${r.path}`, r.specs[0]!]));

function holds(key: string, status: number, body: unknown) {
  const declared = routeSpecs.get(key)?.responses?.[status];
  const schema = (declared && 'schema' in declared ? declared.schema : declared) as z.ZodType | undefined;
  assert.ok(schema, `a schema for ${key} ${status}`);
  const r = schema!.safeParse(body);
  assert.ok(r.success, `${key} ${status}: ${r.success ? '' : JSON.stringify(r.error.issues.slice(0, 3))}\n${JSON.stringify(body).slice(0, 400)}`);
  seen.add(key);
}

test('the window\'s and the office\'s answers match their declared schemas', async () => {
  const office = await seedOffice(cloud.url);
  const s = office.sellers[0]!;
  const as = (path: string, init: { method?: string; body?: unknown } = {}) => api(cloud.url, path, { ...init, token: s.token });
  holds('GET /ticket-types', 200, must(await as('/api/v1/ticket-types'), 200));
  holds('GET /discounts', 200, must(await as('/api/v1/discounts'), 200));
  holds('POST /shifts', 201, must(await as('/api/v1/shifts', { body: { floatFen: 10000 } }), 201));
  const shift = must(await as('/api/v1/shifts/current'), 200);
  holds('GET /shifts/current', 200, shift);
  const order = must(await as('/api/v1/orders', { body: { lines: [{ type: 'adult', quantity: 2, discount: 'half' }], payments: [cash(12000, 15000)] } }), 201);
  holds('POST /orders', 201, order);
  holds('GET /orders/:id', 200, must(await as(`/api/v1/orders/${order.id}`), 200));
  const ticket = order.lines[0].tickets[0].id;
  holds('POST /tickets/:id/prints', 201, must(await as(`/api/v1/tickets/${ticket}/prints`, { body: { output: 'png' } }), 201));
  holds('POST /tickets/:id/extend', 200, must(await as(`/api/v1/tickets/${ticket}/extend`, { body: { days: 1, reason: '下雨' } }), 200));
  holds('POST /tickets/:id/reissue', 201, must(await as(`/api/v1/tickets/${ticket}/reissue`, { body: { reason: 'lost' } }), 201));
  holds('POST /orders/:id/refunds', 201, must(await api(cloud.url, `/api/v1/orders/${order.id}/refunds`, { body: { tickets: [order.lines[0].tickets[1].id], method: 'cash', reason: '不去了' } }), 201));
  const reserved = must(await as('/api/v1/orders', { body: { lines: [{ type: 'child', quantity: 3 }], reserve: true } }), 201);
  holds('POST /orders/:id/issue', 200, must(await as(`/api/v1/orders/${reserved.id}/issue`, { body: { payments: [cash(18000)] } }), 200));
  const closed = must(await as(`/api/v1/shifts/${shift.id}/close`, { body: { counted: { cash: 40000 } } }), 200);
  holds('POST /shifts/:id/close', 200, closed);
  holds('GET /shifts/:id', 200, must(await as(`/api/v1/shifts/${shift.id}`), 200));

  const acct = must(await api(cloud.url, '/api/v1/customer-accounts', { body: { name: '青旅', category: 'agency', creditLimitFen: 100000 } }), 201);
  holds('POST /customer-accounts/:id/entries', 201, must(await api(cloud.url, `/api/v1/customer-accounts/${acct.id}/entries`, { body: { ledger: 'deposit', amount: 5000, note: '预存' } }), 201));
  holds('GET /customer-accounts/:id', 200, must(await api(cloud.url, `/api/v1/customer-accounts/${acct.id}`), 200));
  const batch = must(await api(cloud.url, '/api/v1/stock/batches', { body: { type: 'adult', prefix: 'TK', firstNumber: 1, count: 5 } }), 201);
  holds('GET /stock/batches/:id', 200, must(await api(cloud.url, `/api/v1/stock/batches/${batch.id}`), 200));
  holds('GET /audit/verify', 200, must(await api(cloud.url, '/api/v1/audit/verify'), 200));
  holds('GET /reports', 200, must(await api(cloud.url, '/api/v1/reports'), 200));
  holds('GET /reports/:name', 200, must(await api(cloud.url, '/api/v1/reports/sales-by-day'), 200));

  must(await api(cloud.url, '/api/v1/ticket-types', { body: { code: 'annual', name: '年卡', priceFen: 30000, validityDays: 365, entries: 0, persons: 1, category: 'member', rules: { kind: 'member' } } }), 201);
  const card = must(await as('/api/v1/members/cards', { body: { member: { name: '张三', phone: '13800001234' }, type: 'annual', kind: 'annual' } }), 201);
  holds('POST /members/cards', 201, card);
  holds('GET /members/cards/:cardNo', 200, must(await as(`/api/v1/members/cards/${card.cardNo}`), 200));
  holds('GET /members', 200, must(await as('/api/v1/members?phone=13800001234'), 200));
  holds('POST /members/cards/:cardNo/renew', 200, must(await as(`/api/v1/members/cards/${card.cardNo}/renew`, { body: { expiresOn: card.expiresOn } }), 200));
  holds('POST /members/cards/:cardNo/reissue', 201, must(await as(`/api/v1/members/cards/${card.cardNo}/reissue`, { body: { reason: 'lost' } }), 201));

  const channel = await bookingChannel(cloud.url);
  const b = await channel.book({ name: '李四', phone: '13900001111' }, [{ type: 'adult', quantity: 1 }]);
  holds('GET /pickups/lookup', 200, must(await as(`/api/v1/pickups/lookup?order=${b.orderNo}&phone=13900001111`), 200));
  holds('POST /pickups', 200, must(await as('/api/v1/pickups', { body: { pickupId: 'win-test-0001', orderNo: b.orderNo, device: 'window' } }), 200));
});

test('every declared answer was held to a real one', () => {
  // The window office's answers (cloud/office/*/routes.ts, schemas in responses.ts).
  const declared = [
    'POST /orders', 'GET /orders/:id', 'POST /orders/:id/refunds', 'POST /orders/:id/issue', 'POST /orders/:id/cancel', 'POST /payments/intents/:id/query',
    'POST /tickets/:id/reissue', 'POST /tickets/:id/extend', 'POST /tickets/:id/prints', 'GET /customer-accounts/:id', 'PATCH /customer-accounts/:id',
    'POST /customer-accounts/:id/entries', 'GET /stock/batches/:id', 'POST /shifts', 'GET /shifts/current', 'GET /shifts/:id', 'POST /shifts/:id/close', 'GET /discounts',
  ];
  for (const k of declared) assert.ok(routeSpecs.get(k)?.responses, `${k} declares its answers`);
  const untested = declared.filter((k) => !seen.has(k) && !['POST /orders/:id/cancel', 'POST /payments/intents/:id/query', 'PATCH /customer-accounts/:id'].includes(k));
  assert.equal(untested, []);
});

test.run();
