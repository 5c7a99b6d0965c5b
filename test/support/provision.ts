import type { CloudContext } from '../../cloud/context.ts';
import { provisionDevice } from '../../cloud/devices/service.ts';
import { listLanes, putLane } from '../../cloud/sites/service.ts';
import { api } from './cloud.ts';

export interface DeviceSpec {
  device: string;
  role?: 'gate' | 'kiosk' | 'hub' | 'pos' | 'handheld';
  /** A gate's lanes (made with default rules when the site has none such yet). */
  lanes?: string[];
}

/**
 * What an administrator does before a device may connect: the site (unless it exists), the
 * lanes a gate serves, and the device record. Through HQ's API, as the administrator.
 */
export async function provision(base: string, site: string, devices: DeviceSpec[]): Promise<void> {
  const sites = await api(base, '/api/v1/sites');
  if (!sites.body.items.some((s: { id: string }) => s.id === site)) await must(api(base, '/api/v1/sites', { body: { id: site, name: site } }), `site ${site}`);
  const have = new Set((await api(base, `/api/v1/sites/${site}/lanes`)).body.items.map((l: { lane: string }) => l.lane));
  for (const d of devices) {
    for (const lane of d.lanes ?? []) {
      if (have.has(lane)) continue;
      await must(api(base, `/api/v1/sites/${site}/lanes/${lane}`, { method: 'PUT', body: {} }), `lane ${lane}`);
      have.add(lane);
    }
    await must(api(base, `/api/v1/sites/${site}/devices/${d.device}`, { method: 'PUT', body: { role: d.role ?? 'gate', lanes: d.lanes ?? [] } }), `device ${d.device}`);
  }
}

/**
 * The same through HQ's services in process, for an HQ the test's fetch cannot reach as the
 * administrator (HTTPS with a test CA). The site must exist (HQ's own site always does).
 */
export async function provisionIn(ctx: CloudContext, site: string, devices: DeviceSpec[]): Promise<void> {
  const have = new Set((await listLanes(ctx, site)).map((l) => l.lane));
  for (const d of devices) {
    for (const lane of d.lanes ?? []) {
      if (!have.has(lane)) await putLane(ctx, site, lane, {});
      have.add(lane);
    }
    await provisionDevice(ctx, site, d.device, { role: d.role ?? 'gate', lanes: d.lanes ?? [] });
  }
}

/** Gates each serving one lane: [['gate-1', 'lane-1'], ...]. */
export function provisionGates(base: string, site: string, gates: [device: string, lane: string][]): Promise<void> {
  return provision(base, site, gates.map(([device, lane]) => ({ device, lanes: [lane] })));
}

async function must(call: Promise<{ status: number; body: unknown }>, what: string): Promise<void> {
  const r = await call;
  if (r.status >= 300) throw new Error(`provisioning ${what}: ${r.status} ${JSON.stringify(r.body)}`);
}
