import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPassword, verifyPassword } from './password.ts';
import { accessFor, POLICY } from './policy.ts';
import { api, login, startTestCloud, TEST_ADMIN_PASSWORD } from '../../test/support/cloud.ts';

test('scrypt hashes: salted, verified, a wrong or malformed one refused', async () => {
  const a = await hashPassword('correct horse');
  const b = await hashPassword('correct horse');
  assert.is.not(a, b, 'per-password salt');
  assert.ok(await verifyPassword('correct horse', a));
  assert.not.ok(await verifyPassword('correct hors', a));
  assert.not.ok(await verifyPassword('correct horse', 'garbage'));
  assert.not.ok(await verifyPassword('correct horse', a.replace(/\$[^$]+$/, '$AAAA')));
});

test('policy table: longest prefix, method, and no entry means refused', () => {
  assert.equal(accessFor('/health', 'GET'), 'public');
  assert.equal(accessFor('/sync/changes', 'GET'), 'device');
  assert.equal(accessFor('/ticket-types', 'POST'), ['administrator', 'supervisor'], 'supervisors keep the catalog');
  assert.equal(accessFor('/users', 'POST'), ['administrator']);
  assert.ok((accessFor('/ticket-types', 'GET') as string[]).includes('seller'));
  assert.is(accessFor('/nothing', 'GET'), undefined);
  assert.is(accessFor('/healthz', 'GET'), undefined, 'a prefix matches whole segments only');
  assert.is(accessFor('/entries', 'POST'), undefined, 'a method without an entry');
  assert.equal(accessFor('/channels/ota/orders', 'POST'), 'channel');
  for (const e of POLICY) assert.ok(e.prefix.startsWith('/') && !e.prefix.endsWith('/'), e.prefix);
});

test('login, roles, logout, bad input: over HTTP', async () => {
  const cloud = await startTestCloud();
  try {
    const u = cloud.url;
    // No token: 401 on everything but health, login and the device endpoints.
    assert.is((await api(u, '/api/v1/health', { token: null })).status, 200);
    const anon = await api(u, '/api/v1/ticket-types', { token: null });
    assert.is(anon.status, 401);
    assert.is(anon.body.error.code, 'unauthenticated');
    assert.is((await api(u, '/api/v1/sales', { token: null, body: { type: 'adult', quantity: 1 } })).status, 401);
    assert.is((await api(u, '/api/v1/ticket-types', { token: 'tk_' + 'A'.repeat(43) })).body.error.code, 'invalid_token');
    assert.is((await api(u, '/api/v1/ticket-types', { headers: { authorization: 'Basic abc' }, token: null })).status, 401);

    // Wrong password, unknown user: the same 401, no hint which.
    for (const body of [{ username: 'admin', password: 'nope-nope' }, { username: 'ghost', password: TEST_ADMIN_PASSWORD }]) {
      const r = await api(u, '/api/v1/auth/login', { token: null, body });
      assert.is(r.status, 401);
      assert.is(r.body.error.code, 'invalid_credentials');
    }
    for (const body of ['not json', {}, { username: 'admin' }, { username: 1, password: 2 }, { username: 'admin', password: 'x'.repeat(500) }]) {
      const r = await api(u, '/api/v1/auth/login', { token: null, body });
      assert.is(r.status, 400, JSON.stringify(body));
      assert.type(r.body.error.message, 'string');
    }

    // The administrator makes a seller; the seller may not manage users or the catalog.
    const made = await api(u, '/api/v1/users', { body: { username: 'wang', displayName: '王售票', roles: ['seller'], password: 'seller-pass-1' } });
    assert.is(made.status, 201);
    assert.not.ok('passwordHash' in made.body);
    assert.is((await api(u, '/api/v1/users', { body: { username: 'wang', displayName: 'x', roles: ['seller'], password: 'another-pass' } })).status, 409);
    for (const body of [
      { username: 'Bad Name', displayName: 'x', roles: ['seller'], password: 'long-enough' },
      { username: 'ok', displayName: 'x', roles: ['king'], password: 'long-enough' },
      { username: 'ok', displayName: 'x', roles: [], password: 'long-enough' },
      { username: 'ok', displayName: 'x', roles: ['seller'], password: 'short' },
      { username: 'ok', displayName: 'x', roles: ['seller'], password: 'long-enough', admin: true },
    ]) assert.is((await api(u, '/api/v1/users', { body })).status, 400, JSON.stringify(body));

    const seller = await login(u, 'wang', 'seller-pass-1');
    const me = await api(u, '/api/v1/auth/me', { token: seller });
    assert.equal(me.body.roles, ['seller']);
    const denied = await api(u, '/api/v1/users', { token: seller });
    assert.is(denied.status, 403);
    assert.is(denied.body.error.code, 'forbidden');
    assert.is((await api(u, '/api/v1/ticket-types', { token: seller, body: { code: 'x', name: 'x', priceFen: 1, validityDays: 1, entries: 1, persons: 1 } })).status, 403);
    assert.is((await api(u, '/api/v1/ticket-types', { token: seller })).status, 200);
    assert.is((await api(u, '/api/v1/no-such-thing', { token: seller })).status, 403, 'no policy entry: refused');

    // Logout ends the token; a disabled user's sessions end too.
    assert.is((await api(u, '/api/v1/auth/logout', { token: seller, body: {} })).status, 200);
    assert.is((await api(u, '/api/v1/ticket-types', { token: seller })).status, 401);
    const again = await login(u, 'wang', 'seller-pass-1');
    assert.is((await api(u, `/api/v1/users/${made.body.id}`, { method: 'PATCH', body: { active: false } })).status, 200);
    assert.is((await api(u, '/api/v1/ticket-types', { token: again })).status, 401);
    assert.is((await api(u, '/api/v1/auth/login', { token: null, body: { username: 'wang', password: 'seller-pass-1' } })).status, 401);
    assert.is((await api(u, '/api/v1/users/not-a-uuid', { method: 'PATCH', body: { active: true } })).status, 404);
    assert.is((await api(u, `/api/v1/users/${made.body.id}`, { method: 'PATCH', body: { roles: ['pope'] } })).status, 400);

    // Sessions expire.
    const t0 = cloud.ctx!.now;
    const short = await login(u, 'admin', TEST_ADMIN_PASSWORD);
    cloud.ctx!.now = () => Date.now() + 13 * 3600_000;
    assert.is((await api(u, '/api/v1/ticket-types', { token: short })).status, 401);
    cloud.ctx!.now = t0;
    assert.is((await api(u, '/api/v1/ticket-types', { token: short })).status, 200);
  } finally {
    await cloud.cleanup();
  }
});

test.run();
