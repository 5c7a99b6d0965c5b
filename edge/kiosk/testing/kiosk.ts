import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimPrinter } from '../../../hardware/printer/sim.ts';
import { SimScanner } from '../../../hardware/scanner/sim.ts';
import { businessDay, DEFAULT_TZ } from '../../../shared/time/zone.ts';
import { api, testLog } from '../../../test/support/cloud.ts';
import { testToken } from '../../../test/support/devices.ts';
import { KioskAgent } from '../agent.ts';
import { parseKioskConfig } from '../config.ts';

export interface TestKiosk {
  agent: KioskAgent;
  printer: SimPrinter;
  scanner: SimScanner;
  dataDir: string;
  /** One call to the kiosk's own JSON API. */
  call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Stops the agent; its data stays for a restart unless `remove`. */
  stop(remove?: boolean): Promise<void>;
}

/** A real kiosk agent (SQLite in a temp dir, simulated printer and scanner) on loopback. */
export async function startTestKiosk(config: Record<string, unknown>, opts: { dataDir?: string; printer?: SimPrinter; now?: () => number } = {}): Promise<TestKiosk> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tk-kiosk-'));
  const site = (config.site as string | undefined) ?? 'demo';
  const device = (config.device as string | undefined) ?? 'kiosk-1';
  const parsed = parseKioskConfig({
    device, site, siteName: '测试景区', cloudUrl: 'http://127.0.0.1:9', token: testToken('kiosk', site, device),
    pullIntervalMs: 300, hqTimeoutMs: 1500, retryMinMs: 100, retryMaxMs: 1000, http: { port: 0 },
    ...config, dataDir,
  });
  const printer = opts.printer ?? new SimPrinter({ statusTimeoutMs: 2000 });
  const scanner = new SimScanner({ source: 'kiosk-scanner' });
  const agent = new KioskAgent(parsed, { log: testLog.child(device), printer, scanner, now: opts.now });
  await agent.start();
  return {
    agent, printer, scanner, dataDir,
    async call(method, path, body) {
      const res = await fetch(agent.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as any };
    },
    async stop(remove = true) {
      await agent.stop();
      if (remove) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Today in the site's zone: the day a kiosk hands bookings out. */
export const today = (now = Date.now()) => businessDay(now, DEFAULT_TZ);

/**
 * A channel with prices at a test cloud, and a function that books and pays for today:
 * the online booking a visitor then picks up at a kiosk.
 */
export async function bookingChannel(cloudUrl: string, code = 'web') {
  const types = await api(cloudUrl, '/api/v1/ticket-types');
  if (!(types.body.items ?? types.body).some((t: any) => t.code === 'adult')) {
    const r = await api(cloudUrl, '/api/v1/ticket-types', { body: { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 } });
    if (r.status !== 201) throw new Error(`ticket type: ${JSON.stringify(r.body)}`);
    await api(cloudUrl, '/api/v1/ticket-types', { body: { code: 'child', name: '儿童票', priceFen: 6000, validityDays: 1, entries: 1, persons: 1 } });
  }
  const made = await api(cloudUrl, '/api/v1/channels/admin', { body: { code, name: '官网', kind: 'web', cancelCutoffMinutes: 0 } });
  if (made.status !== 201) throw new Error(`channel: ${JSON.stringify(made.body)}`);
  const key = made.body.apiKey as string;
  await api(cloudUrl, `/api/v1/channels/admin/${code}/prices`, { method: 'PUT', body: { prices: [{ type: 'adult', priceFen: 10000 }, { type: 'child', priceFen: 5000 }] } });
  let n = 0;
  const ch = async (path: string, body: unknown) => {
    const res = await fetch(`${cloudUrl}/api/v1/channels${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-Channel-Key': key, 'Idempotency-Key': `k-${Date.now()}-${++n}` }, body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  return {
    key,
    /** Books and pays; returns the issued booking (order number, pickup code, tickets). */
    async book(contact: { name: string; phone: string; idNumber?: string }, items = [{ type: 'adult', quantity: 2 }], visitDay = today()) {
      const b = await ch('/bookings', { visitDay, items, contact });
      if (b.status !== 201) throw new Error(`booking: ${JSON.stringify(b.body)}`);
      const paid = await ch(`/bookings/${b.body.orderNo}/pay`, { amountFen: b.body.totalFen, paymentRef: `PAY-${b.body.orderNo}` });
      if (paid.status !== 200) throw new Error(`pay: ${JSON.stringify(paid.body)}`);
      return paid.body as { orderNo: string; pickupCode: string; state: string; tickets: { id: string; code: string }[] };
    },
    async cancel(orderNo: string) {
      return ch(`/bookings/${orderNo}/cancel`, {});
    },
  };
}
