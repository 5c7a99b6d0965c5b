import { withGateToken } from './devices.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GateAgent } from '../../edge/gate/agent.ts';
import { parseGateConfig } from '../../edge/gate/config.ts';
import type { FaceVerifier } from '../../edge/gate/face.ts';
import { SimDisplay } from '../../hardware/display/sim.ts';
import { SimIndicator } from '../../hardware/indicator/sim.ts';
import { SimScanner } from '../../hardware/scanner/sim.ts';
import { SimTurnstile, type SimTurnstileOptions } from '../../hardware/turnstile/sim.ts';
import { SimVoice } from '../../hardware/voice/sim.ts';
import { testLog } from './cloud.ts';

export interface TestGate {
  agent: GateAgent;
  turnstile: SimTurnstile;
  indicator: SimIndicator;
  display: SimDisplay;
  voice: SimVoice;
  cleanup(): Promise<void>;
}

/** A real gate agent (SQLite in a temp dir, simulated hardware) for in-process tests. */
export async function startTestGate(config: Record<string, unknown>, opts: { start?: boolean; now?: () => number; turnstile?: SimTurnstileOptions; face?: FaceVerifier } = {}): Promise<TestGate> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-gate-'));
  const parsed = parseGateConfig(withGateToken({
    site: 'demo', cloudUrl: 'http://127.0.0.1:9', mqttUrl: 'mqtt://127.0.0.1:9', pullIntervalMs: 300, ackTimeoutMs: 500,
    ...config, dataDir,
  }));
  const turnstile = new SimTurnstile({ autoPass: true, passDelayMs: 5, ...opts.turnstile });
  const indicator = new SimIndicator();
  const display = new SimDisplay();
  const voice = new SimVoice();
  const agent = new GateAgent(parsed, {
    turnstile, indicator, display, voice, face: opts.face, scanner: new SimScanner(), log: testLog.child(parsed.device), now: opts.now,
  });
  if (opts.start !== false) await agent.start();
  return {
    agent, turnstile, indicator, display, voice,
    async cleanup() {
      if (opts.start !== false) await agent.stop();
      else agent.store.db.$client.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
