import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHubConfig } from './config.ts';

const base = {
  hub: 'hub-1', site: 'demo', dataDir: '/tmp/x', tls: { cert: '/etc/tls/hub.crt', key: '/etc/tls/hub.key' },
  upstream: { mqttUrl: 'mqtts://hq:8883', cloudUrl: 'https://hq.example.com/' },
};

test('defaults: LAN ports as HQ has them, on every interface', () => {
  const c = parseHubConfig(base);
  assert.is(c.mqttPort, 1883);
  assert.is(c.httpPort, 8780);
  assert.is(c.mqttHost, '0.0.0.0');
  assert.is(c.pullIntervalMs, 60_000);
  assert.is(c.forwardWindow, 4);
  assert.is(c.coalesceMs, 10_000);
  assert.is(c.upstream.cloudUrl, 'https://hq.example.com', 'no trailing slash');
});

test('a bad config names the bad key', () => {
  assert.throws(() => parseHubConfig({ ...base, site: 'de mo' }), /hub config: site:/);
  assert.throws(() => parseHubConfig({ ...base, upstream: { ...base.upstream, cloudUrl: 'nope' } }), /upstream\.cloudUrl/);
  assert.throws(() => parseHubConfig({ ...base, upstream: undefined }), /hub config: upstream:/);
  assert.throws(() => parseHubConfig({ ...base, mqttPort: 70000 }), /mqttPort/);
  assert.throws(() => parseHubConfig({ ...base, pullIntervallMs: 1000 }), /pullIntervallMs/, 'a misspelt key is not ignored');
});

test('plain text only on loopback or with "insecure": the message says what to set', () => {
  const { tls: _, ...plain } = base;
  assert.throws(() => parseHubConfig(plain), /hub config: mqttHost: refusing to serve plain text on 0\.0\.0\.0.*"tls"/);
  assert.throws(() => parseHubConfig({ ...plain, mqttHost: '127.0.0.1' }), /hub config: httpHost: refusing/);
  assert.ok(parseHubConfig({ ...plain, mqttHost: '127.0.0.1', httpHost: '127.0.0.1' }), 'loopback');
  assert.ok(parseHubConfig({ ...plain, insecure: true }), 'insecure');
  assert.throws(() => parseHubConfig({ ...base, upstream: { ...base.upstream, mqttUrl: 'mqtt://hq:1883' } }), /upstream\.mqttUrl: refusing to send credentials in plain text to mqtt:\/\/hq:1883/);
  assert.throws(() => parseHubConfig({ ...base, upstream: { ...base.upstream, cloudUrl: 'http://10.0.0.5:8780' } }), /upstream\.cloudUrl/);
  assert.ok(parseHubConfig({ ...base, upstream: { mqttUrl: 'mqtt://127.0.0.1:1883', cloudUrl: 'http://localhost:8780' } }), 'HQ on this machine');
});

test('limits: defaults, and a misspelt limit is named', () => {
  const c = parseHubConfig(base);
  assert.is(c.mqttLimits.maxPacketBytes, 256 * 1024);
  assert.is(c.mqttLimits.connectTimeoutMs, 10_000);
  assert.is(c.httpBodyLimit, 64 * 1024);
  assert.is(parseHubConfig({ ...base, mqttLimits: { maxRetainedBytes: 1024 } }).mqttLimits.maxRetainedBytes, 1024);
  assert.throws(() => parseHubConfig({ ...base, mqttLimits: { maxPacket: 1 } }), /mqttLimits/);
});

test.run();
