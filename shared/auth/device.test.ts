import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  canPublish, canSubscribe, clientIdAllowed, clientIdFor, credentialKey, deviceAuthHeader, deviceToken, issueCredential, parseBasicAuth, parseUsername, siteKey, verifyDevice,
  type DeviceIdentity,
} from './device.ts';

const secret = Buffer.alloc(32, 7);
const keyFor = (site: string) => siteKey(secret, site);

test('a credential verifies as what it names, and nothing else does', () => {
  const c = issueCredential(secret, 'gate', 'north', 'gate-1');
  assert.is(c.username, 'gate:north:gate-1');
  assert.equal(verifyDevice(keyFor, c.username, c.token), { role: 'gate', site: 'north', device: 'gate-1' });
  assert.equal(verifyDevice(keyFor, c.username, Buffer.from(c.token)), { role: 'gate', site: 'north', device: 'gate-1' }, 'as MQTT hands it: a Buffer');
  assert.is(verifyDevice(keyFor, 'gate:north:gate-2', c.token), undefined, 'another device');
  assert.is(verifyDevice(keyFor, 'gate:south:gate-1', c.token), undefined, 'another site');
  assert.is(verifyDevice(keyFor, 'hub:north:gate-1', c.token), undefined, 'another role');
  assert.is(verifyDevice(keyFor, c.username, c.token.slice(0, -1)), undefined, 'truncated');
  assert.is(verifyDevice(keyFor, c.username, undefined), undefined);
  assert.is(verifyDevice(keyFor, undefined, c.token), undefined);
  assert.is(verifyDevice((s) => (s === 'south' ? keyFor(s) : undefined), c.username, c.token), undefined, 'a verifier that cannot speak for the site');
  assert.is(issueCredential(Buffer.alloc(32, 8), 'gate', 'north', 'gate-1').token === c.token, false, 'another HQ secret, another token');
});

test('a hub holding only its site key checks its gates like HQ does', () => {
  const hubKey = siteKey(secret, 'north');
  const c = issueCredential(secret, 'kiosk', 'north', 'kiosk-1');
  assert.is(deviceToken(hubKey, 'kiosk', 'kiosk-1'), c.token);
});

test('usernames: role:site:device, names as the topics allow', () => {
  assert.equal(parseUsername('kiosk:s1:k-1'), { role: 'kiosk', site: 's1', device: 'k-1' });
  assert.equal(parseUsername('hq:*:hq-1'), { role: 'hq', site: '*', device: 'hq-1' });
  for (const bad of ['', 'gate', 'gate:s1', 'gate:s1:d:x', 'root:s1:d', 'gate:*:d', 'hq:s1:d', 'gate:s 1:d', 'gate:s1:d/#']) {
    assert.is(parseUsername(bad), undefined, bad);
  }
});

test('topics: a gate publishes its own, a hub its site\'s, HQ anything; subscriptions stay on the site', () => {
  const gate: DeviceIdentity = { role: 'gate', site: 's1', device: 'g1' };
  const hub: DeviceIdentity = { role: 'hub', site: 's1', device: 'h1' };
  const hq: DeviceIdentity = { role: 'hq', site: '*', device: 'hq' };
  for (const t of ['up', 'status', 'reported', 'cmd/res']) {
    assert.ok(canPublish(gate, `tk/v1/s1/g1/${t}`), t);
    assert.not.ok(canPublish(gate, `tk/v1/s1/g2/${t}`), `other gate ${t}`);
    assert.ok(canPublish(hub, `tk/v1/s1/g2/${t}`), `hub relays ${t}`);
    assert.not.ok(canPublish(hub, `tk/v1/s2/g2/${t}`), `hub, other site ${t}`);
  }
  for (const t of ['tk/v1/s1/g1/desired', 'tk/v1/s1/desired', 'tk/v1/s1/notify', 'tk/v1/s1/g1/up/ack', 'tk/v1/s1/g1/cmd/req', 'other/topic']) {
    assert.not.ok(canPublish(gate, t), t);
    assert.not.ok(canPublish(hub, t), t);
    assert.ok(canPublish(hq, t), t);
  }
  assert.ok(canSubscribe(gate, 'tk/v1/s1/+/up'));
  assert.ok(canSubscribe(gate, 'tk/v1/s1/notify'));
  assert.ok(canSubscribe(hub, 'tk/v1/s1/#'));
  for (const f of ['#', 'tk/#', 'tk/v1/#', 'tk/v1/+/notify', 'tk/v1/s2/notify', 'tk/v1/s1']) assert.not.ok(canSubscribe(gate, f), f);
  assert.ok(canSubscribe(hq, '#'));
});

test('subscriptions follow the role: a gate hears its own commands and acks, never another device\'s', () => {
  const gate: DeviceIdentity = { role: 'gate', site: 's1', device: 'g1' };
  const kiosk: DeviceIdentity = { role: 'kiosk', site: 's1', device: 'k1' };
  for (const f of ['tk/v1/s1/g1/up/ack', 'tk/v1/s1/g1/desired', 'tk/v1/s1/g1/cmd/req', 'tk/v1/s1/desired']) assert.ok(canSubscribe(gate, f), f);
  for (const f of ['tk/v1/s1/g2/cmd/req', 'tk/v1/s1/g2/up/ack', 'tk/v1/s1/+/cmd/req', 'tk/v1/s1/+/status', 'tk/v1/s1/g1/#', 'tk/v1/s1/+/#']) assert.not.ok(canSubscribe(gate, f), f);
  assert.ok(canSubscribe(kiosk, 'tk/v1/s1/notify'));
  assert.not.ok(canSubscribe(kiosk, 'tk/v1/s1/+/up'), 'only gates count entries');
});

test('client ids are bound to the identity: another device\'s is refused', () => {
  const g1: DeviceIdentity = { role: 'gate', site: 's1', device: 'g1' };
  assert.is(clientIdFor(g1), 'gate:s1:g1');
  assert.ok(clientIdAllowed(g1, 'gate:s1:g1'));
  for (const other of ['gate:s1:g2', 'dev-s1-g1', 'hub:s1:g1', 'gate:s2:g1', 'hq', '']) assert.not.ok(clientIdAllowed(g1, other), other);
  assert.ok(clientIdAllowed({ role: 'hq', site: '*', device: 'x' }, 'anything'));
});

test('the credential key is the site\'s, and not its site key', () => {
  const k = credentialKey(siteKey(secret, 'north'));
  assert.is(k.length, 32);
  assert.not.equal(k, siteKey(secret, 'north'));
  assert.not.equal(k, credentialKey(siteKey(secret, 'south')));
});

test('Basic auth header round trip; garbage is no credential', () => {
  const h = deviceAuthHeader('gate:s1:g1', 'TOKEN');
  assert.equal(parseBasicAuth(h), { username: 'gate:s1:g1', token: 'TOKEN' });
  for (const bad of [undefined, '', 'Bearer abc', 'Basic', 'Basic !!!', `Basic ${Buffer.from('nocolon').toString('base64')}`]) {
    assert.is(parseBasicAuth(bad), undefined, String(bad));
  }
});

test.run();
