import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ADULT, api, startTestCloud } from './support/cloud.ts';
import { must } from './support/office.ts';
import { provision } from './support/provision.ts';

/**
 * Every change a supervisor makes to prices, holidays, discounts, seller grants and devices
 * (commands, modes, provisioning, revocation, credentials) has an action record naming the
 * person, found by GET /audit/log as the audit screen searches it, and the chain verifies.
 */
const cloud = await startTestCloud();
const u = cloud.url;
test.after(() => cloud.cleanup());

type Rec = { actor: string; action: string; subject: string; body: Record<string, unknown> };
const log = async (action: string): Promise<Rec[]> => must(await api(u, `/api/v1/audit/log?action=${action}&limit=50`), 200).items;

test('price rules, holidays, discounts, ticket types and grants each leave an action record with who did it', async () => {
  must(await api(u, '/api/v1/ticket-types', { body: ADULT }), 201);
  must(await api(u, '/api/v1/ticket-types/adult', { method: 'PATCH', body: { priceFen: 13000 } }), 200);
  const rule = must(await api(u, '/api/v1/price-rules', { body: { type: 'adult', name: '周末价', weekdays: [6, 7], priceFen: 15000 } }), 201);
  must(await api(u, `/api/v1/price-rules/${rule.id}`, { method: 'DELETE' }), 200);
  must(await api(u, '/api/v1/holidays/2027-10-01', { method: 'PUT', body: { name: '国庆' } }), 200);
  must(await api(u, '/api/v1/holidays/2027-10-01', { method: 'PUT', body: { name: '国庆节' } }), 200);
  must(await api(u, '/api/v1/discounts', { body: { code: 'senior', name: '老人优惠', kind: 'percent', value: 50 } }), 201);
  const dup = await api(u, '/api/v1/discounts', { body: { code: 'senior', name: '又一个', kind: 'percent', value: 10 }, headers: { 'accept-language': 'zh-CN' } });
  assert.is(dup.status, 409);
  assert.equal([dup.body.error.message, dup.body.error.field], ['已存在', 'code'], 'said beside the code field');
  const seller = must(await api(u, '/api/v1/users', { body: { username: 'ann', displayName: '安', roles: ['seller'], password: 'ann-password' } }), 201);
  must(await api(u, `/api/v1/sellers/${seller.id}/grants`, { method: 'PUT', body: { types: ['adult'], discounts: ['senior'] } }), 200);

  const types = await log('ticket_type');
  assert.equal(types.map((r) => [r.actor, r.subject, r.body.op]), [['admin', 'adult', 'update'], ['admin', 'adult', 'create']]);
  assert.equal(types[0]!.body.before, { priceFen: 12000 });
  assert.equal(types[0]!.body.after, { priceFen: 13000 });
  const rules = await log('price_rule');
  assert.equal(rules.map((r) => [r.actor, r.subject, r.body.op, r.body.name, r.body.priceFen]), [
    ['admin', `adult/${rule.id}`, 'delete', '周末价', 15000], ['admin', `adult/${rule.id}`, 'create', '周末价', 15000],
  ]);
  assert.equal((await log('holiday')).map((r) => [r.subject, r.body.op, r.body.name, r.body.before]), [['2027-10-01', 'update', '国庆节', '国庆'], ['2027-10-01', 'create', '国庆', null]]);
  const discounts = await log('discount');
  assert.is(discounts.length, 1, 'the refused duplicate left nothing');
  assert.equal([discounts[0]!.actor, discounts[0]!.subject, discounts[0]!.body.value], ['admin', 'senior', 50]);
  assert.equal((await log('seller_grants')).map((r) => [r.subject, r.body.types, r.body.discounts]), [[seller.id, ['adult'], ['senior']]]);
});

test('devices: provisioning, a credential handed out, commands, a mode order and revocation are each recorded', async () => {
  await provision(u, 'demo', [{ device: 'gate-a', lanes: ['a'] }]);
  must(await api(u, '/api/v1/device-credentials', { body: { site: 'demo', device: 'gate-a', role: 'gate' } }), 201);
  must(await api(u, '/api/v1/sites/demo/devices/gate-a/commands', { body: { name: 'open-once' } }), 201);
  must(await api(u, '/api/v1/sites/demo/devices/gate-a/mode', { method: 'PUT', body: { mode: 'closed', reason: '检修' } }), 200);
  must(await api(u, '/api/v1/sites/demo/devices/gate-a', { method: 'PUT', body: { role: 'gate', lanes: ['a'], active: false } }), 200);

  assert.equal((await log('device')).map((r) => [r.actor, r.subject, r.body.op, r.body.active]), [['admin', 'demo/gate-a', 'revoke', false], ['admin', 'demo/gate-a', 'provision', true]]);
  const cred = await log('device_credential');
  assert.equal(cred.map((r) => [r.actor, r.subject, r.body]), [['admin', 'demo/gate-a', { role: 'gate' }]]);
  assert.not.match(JSON.stringify(cred), /token/, 'the secret stays out of the chain');
  assert.equal((await log('device_command')).map((r) => [r.actor, r.subject, r.body.command]), [['admin', 'demo/gate-a', 'open-once']]);
  assert.equal((await log('mode')).map((r) => [r.actor, r.subject, r.body.reason]), [['admin', 'demo/gate-a', '检修']]);
  const v = must(await api(u, '/api/v1/audit/verify'), 200);
  assert.ok(v.ok, JSON.stringify(v.problems));
});

test.run();
