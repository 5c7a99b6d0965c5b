import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../app.ts';
import { accessFor } from '../auth/policy.ts';
import { openHq } from '../../test/support/hq.ts';
import { checkAnswer } from '../../test/support/api-schema.ts';
import { openApiPath, routesOf } from './document.ts';

const hq = await openHq();
const res = await hq.raw('GET', '/api/v1/openapi.json');
const doc = res.body;
const routes = routesOf(hq.app, '/api/v1');

test('the document is served without credentials, as OpenAPI 3.1', () => {
  assert.is(res.status, 200);
  assert.is(doc.openapi, '3.1.0');
  assert.equal(doc.servers, [{ url: '/api/v1' }]);
  assert.ok(routes.length > 100, `${routes.length} routes`);
});

test('every route of the app is declared once, by the endpoint() beside its handler', () => {
  const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
  assert.equal(routes.filter((r) => r.specs.length === 0).map(key), [], 'no route without an endpoint()');
  for (const r of routes) assert.ok(r.specs.length === 1, `${key(r)} has one declaration`);
});

test('the Idempotency-Key is described once, and listed by every write that takes it', () => {
  assert.match(doc.info.description, /Idempotency-Key: a key unique per write/);
  const takes = (method: string, path: string) => doc.paths[path][method].parameters?.find((p: any) => p.name === 'Idempotency-Key' && p.in === 'header');
  for (const [m, p] of [['post', '/orders'], ['post', '/sales'], ['post', '/members/cards'], ['post', '/members/cards/{cardNo}/renew'], ['post', '/members/cards/{cardNo}/reissue'], ['post', '/customer-accounts/{id}/entries']] as const) assert.is(takes(m, p)?.required, false, `${m} ${p}`);
  for (const [m, p] of [['post', '/wallets'], ['post', '/wallets/{id}/top-ups'], ['post', '/wallets/{id}/settle'], ['post', '/channels/bookings']] as const) assert.is(takes(m, p)?.required, true, `${m} ${p}`);
  assert.not.ok(takes('post', '/shifts'), 'a write without the middleware does not list it');
});

test('every route is in the document, with its parameters, answers and who may call it', () => {
  const ids = new Set<string>();
  for (const r of routes) {
    const op = doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()];
    assert.ok(op, `${r.method} ${r.path} is in the document`);
    assert.not.ok(op['x-undocumented'], `${r.method} ${r.path} is described`);
    assert.type(op.summary, 'string');
    assert.ok(!ids.has(op.operationId), `operationId ${op.operationId} is unique`);
    ids.add(op.operationId);
    assert.ok(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)), `${r.method} ${r.path} has a success answer`);
    assert.ok(op.responses.default, `${r.method} ${r.path} describes its errors`);
    for (const name of r.path.match(/:(\w+)/g) ?? []) {
      assert.ok(op.parameters?.some((p: any) => p.in === 'path' && p.name === name.slice(1) && p.required), `${r.method} ${r.path} declares ${name}`);
    }
    const access = accessFor(r.path, r.method);
    if (Array.isArray(access)) assert.equal(op['x-roles'], access, `${r.method} ${r.path}: roles from the policy`);
    if (access === 'public') assert.equal(op.security, [], `${r.method} ${r.path} is public`);
  }
  // ... and nothing that is not a route.
  const described = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`));
  assert.equal(described.sort(), routes.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
});

test('every reference resolves; request bodies come from the validating schemas', () => {
  const refs: string[] = [];
  JSON.stringify(doc, (k, v) => { if (k === '$ref') refs.push(v); return v; });
  assert.ok(refs.length > 20);
  for (const ref of refs) {
    const m = /^#\/components\/schemas\/(\w+)$/.exec(ref);
    assert.ok(m && doc.components.schemas[m[1]!], `reference ${ref} resolves`);
  }
  const order = doc.components.schemas.OrderRequest;
  assert.equal([...order.required].sort(), ['lines']);
  assert.is(order.properties.lines.items.properties.quantity.type, 'integer');
  assert.is(order.additionalProperties, false);
  const users = doc.paths['/users'].get.parameters.map((p: any) => p.name);
  assert.equal(users, ['q', 'role', 'active', 'sort', 'limit', 'cursor']);
  assert.equal(doc.paths['/orders'].get.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/OrderPage' });
  assert.is(doc.paths['/shifts/{id}/print'].get.responses['200'].content['text/plain'].schema.type, 'string');
  assert.ok(doc.paths['/tickets/{id}/face'].post.requestBody.content['image/jpeg']);
  assert.equal(doc.paths['/orders'].post['x-roles'], ['administrator', 'finance', 'seller']);
});

test('validation uses the declared schemas: what the document says is required is required', async () => {
  const r = await hq.req('PATCH', '/api/v1/ticket-types/adult', { priceFen: -1 });
  assert.is(r.status, 400);
  assert.equal([r.body.error.code, r.body.error.field, r.body.error.message], ['invalid_request', 'priceFen', '价格不能小于 ¥0.00']);
  const gates = await hq.req('PUT', '/api/v1/sites/demo/mode', { mode: 'party' });
  assert.equal([gates.status, gates.body.error.field], [400, 'mode']);
  // ... and what it says is answered is answered.
  const answers: [string, string, unknown, number][] = [
    ['PUT', '/api/v1/sites/demo/mode', { mode: 'closed' }, 200],
    ['PUT', '/api/v1/sites/demo/lanes/lane-1', { label: '1号通道', antiPassbackSeconds: 30 }, 200],
    ['GET', '/api/v1/sites/demo/lanes', undefined, 200],
    ['GET', '/api/v1/sites/demo/lanes/lane-1', undefined, 200],
    ['PUT', '/api/v1/sites/demo/devices/gate-1', { role: 'gate', lanes: ['lane-1'] }, 200],
    ['PUT', '/api/v1/sites/demo/devices/gate-1/mode', { mode: 'normal' }, 200],
    ['GET', '/api/v1/sites/demo/devices/gate-1', undefined, 200],
    ['GET', '/api/v1/sites/demo/devices', undefined, 200],
    ['GET', '/api/v1/devices', undefined, 200],
    ['POST', '/api/v1/sites', { id: 'north', name: '北门景区' }, 201],
    ['GET', '/api/v1/sites', undefined, 200],
    ['PATCH', '/api/v1/sites/north', { name: '北园' }, 200],
    ['PUT', '/api/v1/sites/north/venues/garden', { name: '园中园' }, 200],
    ['GET', '/api/v1/sites/north/venues', undefined, 200],
    ['GET', '/api/v1/sites/demo', undefined, 200],
    ['POST', '/api/v1/tickets/explain', { kind: 'card', value: '04A1B2C3', lane: 'lane-1' }, 200],
    ['POST', '/api/v1/ticket-types', { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 }, 201],
    ['PATCH', '/api/v1/ticket-types/adult', { priceFen: 13000 }, 200],
    ['GET', '/api/v1/ticket-types', undefined, 200],
    ['GET', '/api/v1/health', undefined, 200],
    ['GET', '/api/v1/auth/me', undefined, 200],
    ['GET', '/api/v1/auth/access', undefined, 200],
  ];
  for (const [method, path, body, status] of answers) {
    const r = await hq.req(method, path, body);
    assert.is(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
    checkAnswer(hq.app, method, path, status, r.body);
  }
});

test('HQ serves the back office at / beside the API, which keeps its own answers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-dist-'));
  writeFileSync(join(dir, 'index.html'), '<title>景区票务</title>');
  const app = createApp(hq.ctx, { webDir: dir });
  assert.match(await (await app.request('/window/sell')).text(), /景区票务/);
  assert.is((await app.request('/api/v1/openapi.json')).status, 200);
  const unknown = await app.request('/api/v2/orders');
  assert.equal([unknown.status, ((await unknown.json()) as { error: { code: string } }).error.code], [404, 'not_found']);
  rmSync(dir, { recursive: true, force: true });
});

test.after(() => hq.close());
test.run();
