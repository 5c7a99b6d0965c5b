import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKioskConfig, parseKioskConfig } from './config.ts';

const base = { device: 'kiosk-1', site: 'demo', dataDir: 'data/k', cloudUrl: 'http://127.0.0.1:8780' };

test('defaults: simulated printer, no scanner, zh-CN, loopback page', () => {
  const c = parseKioskConfig(base);
  assert.is(c.printer.driver, 'sim');
  assert.is(c.scanner?.driver ?? 'sim', 'sim', 'absent: the simulated scanner, which only tests present codes to');
  assert.is(c.locale, 'zh-CN');
  assert.equal(c.http, { host: '127.0.0.1', port: 8795 });
  assert.ok(c.dataDir.startsWith('/'), 'dataDir made absolute');
});

test('a bad or unknown key is named in the error', () => {
  assert.throws(() => parseKioskConfig({ ...base, device: 'bad name' }), /device/);
  assert.throws(() => parseKioskConfig({ ...base, hqTimeoutMs: 5 }), /hqTimeoutMs/);
  assert.throws(() => parseKioskConfig({ ...base, printer: { driver: 'laser' } }), /printer/);
  assert.throws(() => parseKioskConfig({ ...base, pritner: { driver: 'sim' } }), /pritner/);
});

test('plain text to another machine only with "insecure"', () => {
  assert.throws(() => parseKioskConfig({ ...base, cloudUrl: 'http://hq.example.com:8780' }), /kiosk config: cloudUrl: refusing to send credentials in plain text/);
  assert.throws(() => parseKioskConfig({ ...base, mqttUrl: 'mqtt://192.168.1.2:1883' }), /kiosk config: mqttUrl: refusing/);
  assert.ok(parseKioskConfig({ ...base, cloudUrl: 'https://hq.example.com', mqttUrl: 'mqtts://192.168.1.2:8883' }));
  assert.ok(parseKioskConfig({ ...base, cloudUrl: 'http://hq.example.com:8780', insecure: true }));
});

test('the example config in provisioning/ is valid', () => {
  const c = loadKioskConfig(new URL('../../provisioning/kiosk/kiosk.example.json', import.meta.url).pathname);
  assert.is(c.printer.driver, 'serial');
  assert.is(c.scanner?.driver, 'serial');
});

test.run();
