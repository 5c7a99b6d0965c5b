import { rmSync } from 'node:fs';
import { parseHubConfig, type HubConfig } from '../../edge/hub/config.ts';
import type { SiteHub } from '../../edge/hub/hub.ts';
import { LinkSim } from '../tools/link-sim.ts';
import { api, waitFor } from './cloud.ts';
import { testSiteKey } from './devices.ts';
import { must } from './office.ts';

/** One JSON call to a site hub's window API (the same paths and answers as HQ's). */
export async function hubApi(hub: SiteHub, path: string, init: { body?: unknown; token?: string; key?: string; method?: string } = {}) {
  const res = await fetch(`${hub.url}/api/v1${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.key ? { 'idempotency-key': init.key } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: await res.json() as any };
}

export async function hubLogin(hub: SiteHub, username: string, password: string): Promise<string> {
  return must(await hubApi(hub, '/auth/login', { body: { username, password } }), 200).token;
}

/**
 * Both windows open and then the ADSL drops: seller1 logs in at the hub and opens a shift there,
 * `hqSeller` (a token at HQ) opens one at HQ, and the hub's WAN is cut. Resolves once the hub
 * has noticed, with seller1's token at the hub.
 */
export async function openShiftsAndCut(hub: SiteHub, o: { cloudUrl: string; hqSeller: string; wan: readonly LinkSim[] }): Promise<string> {
  const seller = await hubLogin(hub, 'seller1', 'seller1-password');
  must(await hubApi(hub, '/shifts', { token: seller, body: { floatFen: 0 } }), 201);
  must(await api(o.cloudUrl, '/api/v1/shifts', { token: o.hqSeller, body: { floatFen: 0 } }), 201);
  for (const l of o.wan) l.cut();
  await waitFor('hub cut off', () => !hub.state().upstream);
  return seller;
}

/** HQ's MQTT and HTTP ports behind a simulated WAN (test/tools/link-sim.ts), started. */
export async function wanTo(cloud: { mqttPort: number; httpPort: number }, link: Omit<ConstructorParameters<typeof LinkSim>[0], 'target'> = { latencyMs: 20 }): Promise<readonly [LinkSim, LinkSim]> {
  const wan = [
    new LinkSim({ ...link, target: { host: '127.0.0.1', port: cloud.mqttPort } }),
    new LinkSim({ ...link, target: { host: '127.0.0.1', port: cloud.httpPort } }),
  ] as const;
  for (const l of wan) await l.start();
  return wan;
}

/** Site `demo`'s hub `hub-1` on loopback, reaching HQ through `wan`. */
export function hubConfigVia(dataDir: string, wan: readonly [LinkSim, LinkSim], extra: Record<string, unknown> = {}): HubConfig {
  return parseHubConfig({
    hub: 'hub-1', site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
    upstream: { mqttUrl: `mqtt://127.0.0.1:${wan[0].port}`, cloudUrl: `http://127.0.0.1:${wan[1].port}` },
    // Uploads leave the hub at once unless a test says otherwise (production coalesces 10 s: edge/hub/config.ts).
    pullIntervalMs: 300, statusIntervalMs: 1000, coalesceMs: 0, ...extra,
  });
}

/** Stops what a hub test started: the hub, its WAN, HQ, and the hub's data. */
export async function stopHubSite(o: { hub: SiteHub | undefined; wan: readonly LinkSim[]; cloud: { cleanup(): Promise<void> }; dataDir: string }): Promise<void> {
  await o.hub?.stop();
  for (const l of o.wan) await l.stop();
  await o.cloud.cleanup();
  rmSync(o.dataDir, { recursive: true, force: true });
}
