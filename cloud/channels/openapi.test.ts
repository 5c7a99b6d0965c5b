import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { channelApiRoutes } from './routes.ts';
import { bookingView, productsView, reconciliationView } from './schemas.ts';
import { openHq } from '../../test/support/hq.ts';
import { checkAnswer } from '../../test/support/api-schema.ts';

const hq = await openHq({ now: Date.UTC(2026, 10, 25, 2, 0) });

test('the OpenAPI document is served without a key and lists every booking route', async () => {
  const res = await hq.app.request('/api/v1/channels/openapi.json');
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const doc = JSON.parse(await res.text());
  assert.is(doc.openapi, '3.1.0');
  assert.type(doc.info.title, 'string');
  assert.type(doc.info.version, 'string');
  assert.equal(doc.components.securitySchemes.channelKey, { type: 'apiKey', in: 'header', name: 'X-Channel-Key' });

  // Every route the booking API mounts (but the admin ones and the document itself) is described.
  // (A route with its channel-key middleware is listed once per handler.)
  const routes = [...new Set(channelApiRoutes(hq.ctx).routes
    .filter((r) => r.method !== 'ALL' && !r.path.startsWith('/admin') && r.path !== '/openapi.json')
    .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`))].map((k) => k.split(' ') as [string, string]);
  assert.ok(routes.length >= 7, `found ${routes.length} routes`);
  for (const [method, path] of routes) {
    assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is in the document`);
  }
  // ... and nothing that is not a route.
  const described = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m} ${p}`));
  assert.equal(described.sort(), routes.map(([m, p]) => `${m} ${p}`).sort());

  // Every operation is well-formed; every reference resolves; path parameters are declared.
  const refs: string[] = [];
  JSON.stringify(doc, (k, v) => { if (k === '$ref') refs.push(v); return v; });
  for (const ref of refs) {
    const m = /^#\/components\/schemas\/(\w+)$/.exec(ref);
    assert.ok(m && doc.components.schemas[m[1]!], `reference ${ref} resolves`);
  }
  for (const [path, ops] of Object.entries(doc.paths) as [string, Record<string, any>][]) {
    for (const [method, op] of Object.entries(ops)) {
      assert.type(op.operationId, 'string');
      assert.ok(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)), `${method} ${path} has a success response`);
      for (const name of path.match(/\{(\w+)\}/g) ?? []) {
        assert.ok(op.parameters?.some((p: any) => p.in === 'path' && `{${p.name}}` === name && p.required), `${method} ${path} declares ${name}`);
      }
      if (method === 'post') assert.ok(op.parameters.some((p: any) => p.name === 'Idempotency-Key' && p.in === 'header' && p.required), `${path}: writes take an Idempotency-Key`);
    }
  }
  const req = doc.components.schemas.BookingRequest;
  assert.is(req.type, 'object');
  assert.equal([...req.required].sort(), ['contact', 'items', 'visitDay']);
  assert.is(req.properties.items.items.properties.quantity.type, 'integer');
  assert.is(doc.components.schemas.Booking.properties.state.enum.length, 5);
});

test('real answers match the published schemas', async () => {
  await hq.req('POST', '/api/v1/ticket-types', { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 });
  const ch = await hq.req('POST', '/api/v1/channels/admin', { code: 'web', name: '官网', kind: 'web', dailyQuota: 100 });
  await hq.req('PUT', '/api/v1/channels/admin/web/prices', { prices: [{ type: 'adult', priceFen: 11000 }] });
  const h = { 'X-Channel-Key': ch.body.apiKey };
  const b = await hq.raw('POST', '/api/v1/channels/bookings', { visitDay: '2026-11-26', items: [{ type: 'adult', quantity: 1 }], contact: { name: 'a', phone: '13800000000' } }, { ...h, 'Idempotency-Key': 'x1' });
  bookingView.parse(b.body);
  const paid = await hq.raw('POST', `/api/v1/channels/bookings/${b.body.orderNo}/pay`, { amountFen: 11000, paymentRef: 'p' }, { ...h, 'Idempotency-Key': 'x2' });
  bookingView.parse(paid.body);
  productsView.parse((await hq.raw('GET', '/api/v1/channels/products', undefined, h)).body);
  reconciliationView.parse((await hq.raw('GET', '/api/v1/channels/reconciliation?day=2026-11-25', undefined, h)).body);

  // The key first, then the write's Idempotency-Key, then the body.
  const junk = { visitDay: 'soon' };
  const noKey = await hq.raw('POST', '/api/v1/channels/bookings', junk, { 'X-Channel-Key': 'wrong', 'Idempotency-Key': 'x3' });
  assert.equal([noKey.status, noKey.body.error.code], [401, 'invalid_channel_key']);
  const noIdem = await hq.raw('POST', '/api/v1/channels/bookings', junk, h);
  assert.equal([noIdem.status, noIdem.body.error.code], [400, 'idempotency_key_required']);
  const bad = await hq.raw('POST', '/api/v1/channels/bookings', junk, { ...h, 'Idempotency-Key': 'x3' });
  assert.equal([bad.status, bad.body.error.code, bad.body.error.field], [400, 'invalid_request', 'visitDay']);
  const cancelled = await hq.raw('POST', `/api/v1/channels/bookings/${b.body.orderNo}/cancel`, undefined, { ...h, 'Idempotency-Key': 'x4' });
  assert.is(cancelled.status, 200, JSON.stringify(cancelled.body));
  assert.is(bookingView.parse(cancelled.body).state, 'cancelled');

  // The administrators' side answers what its declarations say.
  checkAnswer(hq.app, 'POST', '/api/v1/channels/admin', 201, ch.body);
  const admin: [string, string, unknown?][] = [
    ['GET', '/api/v1/channels/admin'], ['GET', '/api/v1/channels/admin/web'], ['PATCH', '/api/v1/channels/admin/web', { dailyQuota: 150 }],
    ['PUT', '/api/v1/channels/admin/web/prices', { prices: [{ type: 'adult', priceFen: 10500 }] }], ['GET', '/api/v1/channels/admin/web/bookings?day=2026-11-26'],
    ['GET', '/api/v1/channels/admin/web/reconciliation?day=2026-11-25'], ['GET', '/api/v1/channels/admin/pickups/flagged'], ['POST', '/api/v1/channels/admin/web/key'],
  ];
  for (const [method, path, body] of admin) {
    const r = await hq.req(method, path, body);
    assert.is(r.status, 200, `${method} ${path}: ${JSON.stringify(r.body)}`);
    checkAnswer(hq.app, method, path, 200, r.body);
  }
});

test.after(() => hq.close());
test.run();
