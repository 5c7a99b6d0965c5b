import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGateConfig, parseGateConfig } from './config.ts';

const base = { device: 'gate-1', site: 'demo', dataDir: '/tmp/x', cloudUrl: 'http://127.0.0.1:8780', mqttUrl: 'mqtt://127.0.0.1:1883' };

test('defaults: simulated hardware, zh-CN, Shanghai', () => {
  const c = parseGateConfig(base);
  assert.is(c.turnstile.driver, 'sim');
  assert.is(c.scanner.driver, 'sim');
  assert.is(c.locale, 'zh-CN');
  assert.is(c.timeZone, 'Asia/Shanghai');
  assert.is(c.lane, 'lane-1');
});

test('credentials never travel in plain text beyond this machine unless the config says insecure', () => {
  assert.throws(() => parseGateConfig({ ...base, cloudUrl: 'http://10.0.0.5:8780' }), /gate config: cloudUrl: refusing to send credentials in plain text to http:\/\/10\.0\.0\.5:8780.*"insecure": true/);
  assert.throws(() => parseGateConfig({ ...base, mqttUrl: 'mqtt://hub.local:1883' }), /gate config: mqttUrl: refusing/);
  const tls = parseGateConfig({ ...base, cloudUrl: 'https://10.0.0.5:8780', mqttUrl: 'mqtts://10.0.0.5:8883', ca: '/etc/tls/ca.crt' });
  assert.is(tls.ca, '/etc/tls/ca.crt');
  assert.is(parseGateConfig({ ...base, cloudUrl: 'http://10.0.0.5:8780', mqttUrl: 'mqtt://10.0.0.5:1883', insecure: true }).insecure, true);
});

test('the GPIO turnstile is chosen by config', () => {
  const c = parseGateConfig({ ...base, turnstile: { driver: 'gpio', pins: { openIn: 17, passage: 27 } } });
  assert.is(c.turnstile.driver, 'gpio');
});

test('a bad config names the bad key', () => {
  assert.throws(() => parseGateConfig({ ...base, device: 'gate 1' }), /gate config: device:/);
  assert.throws(() => parseGateConfig({ ...base, cloudUrl: 'nope' }), /cloudUrl/);
  assert.throws(() => parseGateConfig({ ...base, turnstile: { driver: 'gpio', pins: { openIn: 17 } } }), /turnstile\.pins\.passage/);
  assert.throws(() => parseGateConfig({ ...base, pullIntervalMs: 5 }), /pullIntervalMs/);
  const dir = mkdtempSync(join(tmpdir(), 'tk-cfg-'));
  writeFileSync(join(dir, 'bad.json'), '{ not json');
  assert.throws(() => loadGateConfig(join(dir, 'bad.json')), /bad\.json: cannot read gate config/);
  assert.throws(() => loadGateConfig(join(dir, 'missing.json')), /missing\.json: cannot read gate config/);
});

test.run();

test('the example for a gate on a site hub\'s LAN: each entry to the hub at once, HQ\'s ack awaited a coalescing period longer', () => {
  const c = loadGateConfig(new URL('../../provisioning/gate/gate.hub.example.json', import.meta.url).pathname);
  assert.is(c.coalesceMs, 0);
  assert.ok(c.ackTimeoutMs > 10_000, 'longer than the hub\'s default coalescing');
});
