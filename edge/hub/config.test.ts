import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHubConfig } from './config.ts';

const base = { hub: 'hub-1', site: 'demo', dataDir: '/tmp/x', upstream: { mqttUrl: 'mqtt://hq:1883', cloudUrl: 'https://hq.example.com/' } };

test('defaults: LAN ports as HQ has them, on every interface', () => {
  const c = parseHubConfig(base);
  assert.is(c.mqttPort, 1883);
  assert.is(c.httpPort, 8780);
  assert.is(c.mqttHost, '0.0.0.0');
  assert.is(c.pullIntervalMs, 60_000);
  assert.is(c.forwardWindow, 32);
  assert.is(c.upstream.cloudUrl, 'https://hq.example.com', 'no trailing slash');
});

test('a bad config names the bad key', () => {
  assert.throws(() => parseHubConfig({ ...base, site: 'de mo' }), /hub config: site:/);
  assert.throws(() => parseHubConfig({ ...base, upstream: { ...base.upstream, cloudUrl: 'nope' } }), /upstream\.cloudUrl/);
  assert.throws(() => parseHubConfig({ ...base, upstream: undefined }), /hub config: upstream:/);
  assert.throws(() => parseHubConfig({ ...base, mqttPort: 70000 }), /mqttPort/);
  assert.throws(() => parseHubConfig({ ...base, pullIntervallMs: 1000 }), /pullIntervallMs/, 'a misspelt key is not ignored');
});

test.run();
