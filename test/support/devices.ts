import { deviceAuthHeader, deviceToken, deviceUsername, issueCredential, siteKey, type DeviceRole } from '../../shared/auth/device.ts';

/** The device secret of every test cloud, so tests can hand gates, kiosks and hubs their credentials. */
export const TEST_DEVICE_SECRET = '5ce71c0de5ce71c0de5ce71c0de5ce71c0de5ce71c0de5ce71c0de5ce71c0de0';

const secret = Buffer.from(TEST_DEVICE_SECRET, 'hex');

/** A device's token at a test cloud. */
export function testToken(role: Exclude<DeviceRole, 'hq'>, site: string, device: string): string {
  return issueCredential(secret, role, site, device).token;
}

/** A test site's key, as a hub's config takes it. */
export function testSiteKey(site: string): string {
  return siteKey(secret, site).toString('hex');
}

/** A gate config with its token filled in (unless it names one). */
export function withGateToken<T extends Record<string, unknown>>(config: T): T & { token?: string } {
  // Test gates upload each entry at once unless a test says otherwise: the production default
  // coalesces a visitor's pace into one batch per 10 s (edge/gate/config.ts, test/bench/sync.ts).
  config = { coalesceMs: 0, ...config };
  if (config.token !== undefined || typeof config.site !== 'string' || typeof config.device !== 'string') return config;
  return { ...config, token: testToken('gate', config.site, config.device) };
}

/** HTTP Authorization header for a device of a test cloud (the sync endpoints want one). */
export function testDeviceHeader(site: string, device = 'test-probe', role: Exclude<DeviceRole, 'hq'> = 'gate'): Record<string, string> {
  const c = issueCredential(secret, role, site, device);
  return { authorization: deviceAuthHeader(c.username, c.token) };
}

/** MQTT options for a test's own client with HQ's rights (watchers, replays, baselines). */
export function testHqMqtt(name = 'test'): { username: string; password: string } {
  return { username: deviceUsername({ role: 'hq', site: '*', device: name }), password: deviceToken(siteKey(secret, '*'), 'hq', name) };
}

/** MQTT options for a test client posing as one device of a site. */
export function testDeviceMqtt(site: string, device: string, role: Exclude<DeviceRole, 'hq'> = 'gate'): { username: string; password: string } {
  const c = issueCredential(secret, role, site, device);
  return { username: c.username, password: c.token };
}

/** HTTP Authorization header with HQ's rights: a test reading the change log or digest as HQ sees it (no device scope). */
export function testHqHeader(name = 'test-probe'): Record<string, string> {
  const c = testHqMqtt(name);
  return { authorization: deviceAuthHeader(c.username, c.password) };
}
