import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Cloud } from '../../cloud/server.ts';
import { parseHubConfig } from '../../edge/hub/config.ts';
import { SiteHub } from '../../edge/hub/hub.ts';
import { api, testLog, waitFor } from '../support/cloud.ts';
import { testSiteKey } from '../support/devices.ts';
import { hubApi, hubLogin } from '../support/hub.ts';
import { cash, must } from '../support/office.ts';
import { provisionIn } from '../support/provision.ts';
import { wireBytes } from '../tools/link-sim.ts';
import { sleep, Wan } from './wan.ts';

export interface HubSaleResult {
  sales: number;
  seconds: number;
  /** Bytes on both of the hub's lines to HQ (HTTP and MQTT) per window sale, IP and TCP headers included. */
  upPerSale: number;
  downPerSale: number;
  /** The same, HTTP line only (the window's uplink: journal, leases, kit, orders; the change log down). */
  httpUpPerSale: number;
  httpDownPerSale: number;
  /** A sale's journal entry as JSON: what it must carry at the least, without compression. */
  entryJsonBytes: number;
  /** Sale at the hub's window to taken at HQ, p50 / max, s. */
  lagP50S: number;
  lagMaxS: number;
}

/**
 * Bytes per window sale over the WAN: a site hub with production settings (edge/hub/config.ts
 * defaults) behind the simulated ADSL line (test/bench/wan.ts), a seller selling one sale of
 * two adults every `everyMs` at the hub's window on the LAN, each uploaded to HQ through the
 * hub's journal (its outbox). Everything the hub's two lines carry while the sales go up is
 * counted, the periodic lease exchanges, kit and order-list fetches and the change log the
 * hub pulls back (its own tickets among it) included: the figure is what a sale costs the
 * line, not what its entry weighs.
 */
export async function runHubSale(cloud: Cloud, opts: { sales: number; everyMs: number }): Promise<HubSaleResult> {
  const ctx = cloud.ctx!;
  await provisionIn(ctx, 'demo', [{ device: 'sale-hub', role: 'hub' }]);
  const seller = must(await api(cloud.url, '/api/v1/users', { body: { username: 'hub-bench', displayName: '站点售票员', roles: ['seller'], password: 'hub-bench-password' } }), 201);
  must(await api(cloud.url, `/api/v1/sellers/${seller.id}/grants`, { method: 'PUT', body: { types: ['adult'], discounts: [] } }), 200);
  const wan = new Wan(cloud);
  await wan.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-hub-sale-'));
  const hub = new SiteHub(parseHubConfig({
    hub: 'sale-hub', site: 'demo', siteKey: testSiteKey('demo'), dataDir, mqttHost: '127.0.0.1', mqttPort: 0, httpHost: '127.0.0.1', httpPort: 0,
    upstream: { mqttUrl: wan.mqttUrl, cloudUrl: wan.cloudUrl },
  }), testLog.child('sale-hub'));
  try {
    await hub.start();
    await waitFor('the hub\'s kit and key', () => hub.state().window?.delegation && hub.state().upstream, 120_000, 100);
    const token = await hubLogin(hub, 'hub-bench', 'hub-bench-password');
    must(await hubApi(hub, '/shifts', { token, body: { floatFen: 0 } }), 201);
    await sleep(2000); // the hub's start-up (kit, key, first pulls) is not the sales' traffic
    const before = { mqtt: wan.mqtt.stats, http: wan.http.stats };
    const t0 = performance.now();
    const soldAt = new Map<string, number>();
    let entryBytes = 0;
    for (let i = 0; i < opts.sales; i++) {
      const start = performance.now();
      const o = must(await hubApi(hub, '/orders', { token, key: `bench-${i}`, body: { lines: [{ type: 'adult', quantity: 2 }], payments: [cash(24000)] } }), 201);
      soldAt.set(o.id, Date.now());
      if (i === 0) {
        const [e] = hub.book!.entries(0, 1_000).filter((x) => x.kind === 'order' && x.order.id === o.id);
        entryBytes = Buffer.byteLength(JSON.stringify(e));
      }
      await sleep(Math.max(0, start + opts.everyMs - performance.now()));
    }
    const lags: number[] = [];
    await waitFor('the hub\'s sales at HQ', async () => {
      const rows = ((await ctx.db.execute(sql`select u.order_id::text id, u.received_at from hub_uploads u where u.hub = 'sale-hub' and u.kind = 'order'`)) as unknown as { rows: { id: string; received_at: string | Date }[] }).rows;
      if (rows.length < opts.sales) return false;
      lags.length = 0;
      for (const r of rows) lags.push((new Date(r.received_at).getTime() - soldAt.get(r.id)!) / 1000);
      return hub.state().window!.journal.pending === 0;
    }, 120_000, 200);
    await sleep(1000);
    const seconds = (performance.now() - t0) / 1000;
    const http = wireBytes(before.http, wan.http.stats);
    const mqtt = wireBytes(before.mqtt, wan.mqtt.stats);
    lags.sort((a, b) => a - b);
    return {
      sales: opts.sales, seconds,
      upPerSale: (http.up + mqtt.up) / opts.sales, downPerSale: (http.down + mqtt.down) / opts.sales,
      httpUpPerSale: http.up / opts.sales, httpDownPerSale: http.down / opts.sales,
      entryJsonBytes: entryBytes, lagP50S: lags[Math.floor(lags.length / 2)] ?? NaN, lagMaxS: lags[lags.length - 1] ?? NaN,
    };
  } finally {
    await hub.stop();
    await wan.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The fields bench:sync prints for it (its final JSON line). */
export function hubSaleFields(r: HubSaleResult) {
  const r1 = (n: number) => Math.round(n * 10) / 10;
  const r2 = (n: number) => Number(n.toFixed(2));
  return {
    hub_sales: r.sales,
    hub_up_bytes_per_sale: r1(r.upPerSale),
    hub_down_bytes_per_sale: r1(r.downPerSale),
    hub_http_up_bytes_per_sale: r1(r.httpUpPerSale),
    hub_http_down_bytes_per_sale: r1(r.httpDownPerSale),
    hub_sale_entry_json_bytes: r.entryJsonBytes,
    hub_sale_lag_p50_s: r2(r.lagP50S),
    hub_sale_lag_max_s: r2(r.lagMaxS),
    hub_sale_config: 'a site hub with production settings behind link-sim ADSL; one window sale of 2 adults every 2 s on its LAN; both lines counted (journal, leases, kit, order list up; acks and change log down), headers included',
  };
}
