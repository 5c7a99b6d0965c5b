import { join } from 'node:path';
import type { Logger } from '../../shared/log/logger.ts';
import { parseGateConfig } from '../gate/config.ts';
import { runGate, type RunningGate } from '../gate/run.ts';

export interface SimSiteOptions {
  site: string;
  gates: number;
  dataDir: string;
  cloudUrl: string;
  mqttUrl: string;
  /** First gate console port; gate n listens on firstConsolePort + n - 1 (0 = ephemeral). */
  firstConsolePort: number;
  /** Each gate's token at HQ (HQ issues them: `cloud.ctx.deviceAuth`). */
  tokenFor?: (device: string) => string;
  log: Logger;
}

/** A site of simulated gates (simulated scanners and turnstiles), each with its own console. */
export async function startSimSite(opts: SimSiteOptions): Promise<{ gates: { id: string; console: string; gate: RunningGate }[]; stop(): Promise<void> }> {
  const gates: { id: string; console: string; gate: RunningGate }[] = [];
  try {
    for (let n = 1; n <= opts.gates; n++) {
      const id = `gate-${n}`;
      const config = parseGateConfig({
        device: id, site: opts.site, lane: `lane-${n}`, dataDir: join(opts.dataDir, id),
        cloudUrl: opts.cloudUrl, mqttUrl: opts.mqttUrl, pullIntervalMs: 30_000, token: opts.tokenFor?.(id),
        turnstile: { driver: 'sim', passDelayMs: 800 }, scanner: { driver: 'sim', source: `${id}-scanner` },
        console: { host: '127.0.0.1', port: opts.firstConsolePort === 0 ? 0 : opts.firstConsolePort + n - 1 },
      }, `simulated ${id}`);
      const gate = await runGate(config, opts.log.child(id));
      gates.push({ id, console: `http://127.0.0.1:${gate.consolePort}`, gate });
    }
  } catch (err) {
    for (const g of gates) await g.gate.stop();
    throw err;
  }
  return {
    gates,
    async stop() {
      for (const g of gates) await g.gate.stop();
    },
  };
}
