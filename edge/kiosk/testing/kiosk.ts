import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimPrinter } from '../../../hardware/printer/sim.ts';
import { SimScanner } from '../../../hardware/scanner/sim.ts';
import { testLog } from '../../../test/support/cloud.ts';
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
