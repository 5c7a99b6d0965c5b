import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CardReader } from '../../../hardware/card/port.ts';
import type { LockerBank } from '../../../hardware/locker/port.ts';
import { SimPrinter } from '../../../hardware/printer/sim.ts';
import { testLog } from '../../../test/support/cloud.ts';
import { testToken } from '../../../test/support/devices.ts';
import { PosAgent } from '../agent.ts';
import { parsePosConfig } from '../config.ts';

export interface TestPos {
  agent: PosAgent;
  printer: SimPrinter;
  dataDir: string;
  /** Cuts the POS off from HQ (its calls fail as on a dead line) or lets it through again. */
  setOffline(down: boolean): void;
  call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(remove?: boolean): Promise<void>;
}

/** A real POS agent (SQLite in a temp dir, simulated printer) against a real HQ on loopback. */
export async function startTestPos(config: Record<string, unknown>, opts: { dataDir?: string; card?: CardReader; lockers?: LockerBank; now?: () => number } = {}): Promise<TestPos> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tk-pos-'));
  const site = (config.site as string | undefined) ?? 'demo';
  const device = (config.device as string | undefined) ?? 'pos-1';
  const parsed = parsePosConfig({
    device, site, shop: 'snack', cloudUrl: 'http://127.0.0.1:9', token: testToken('pos', site, device),
    pullIntervalMs: 300, staleMs: 1500, hqTimeoutMs: 1500, retryMinMs: 100, retryMaxMs: 800, http: { port: 0 },
    ...config, dataDir,
  });
  let down = false;
  const lineFetch: typeof fetch = async (input, init) => {
    if (down) throw new TypeError('fetch failed (line down)');
    return fetch(input, init);
  };
  const printer = new SimPrinter({ statusTimeoutMs: 2000 });
  const agent = new PosAgent(parsed, { log: testLog.child(device), printer, card: opts.card, lockers: opts.lockers, now: opts.now, fetch: lineFetch });
  await agent.start();
  return {
    agent, printer, dataDir,
    setOffline(d) {
      down = d;
    },
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
