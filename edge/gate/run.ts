import { createWiegandReader } from '../../hardware/wiegand/create.ts';
import type { ServerType } from '@hono/node-server';
import { createCardReader } from '../../hardware/card/create.ts';
import { createDisplay } from '../../hardware/display/create.ts';
import { createIdCardReader } from '../../hardware/idcard/create.ts';
import { createIndicator } from '../../hardware/indicator/create.ts';
import { createScanner } from '../../hardware/scanner/create.ts';
import { createVoice } from '../../hardware/voice/create.ts';
import { createTurnstile } from '../../hardware/turnstile/create.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { GateAgent } from './agent.ts';
import type { GateConfig } from './config.ts';
import { startConsole } from './console.ts';
import { ReaderWiring } from './readers.ts';
import { createFingerprintReader } from '../../hardware/fingerprint/create.ts';

export interface RunningGate {
  agent: GateAgent;
  consolePort: number | undefined;
  stop(): Promise<void>;
}

/** Builds a gate from its config (drivers chosen there) and starts it with its console. */
export async function runGate(config: GateConfig, log: Logger, reboot?: () => void): Promise<RunningGate> {
  const turnstile = await createTurnstile(config.turnstile);
  const scanner = await createScanner(config.scanner, { log: log.child('scanner') });
  // Imported only with a face camera: the verifier's graph holds onnx-proto, and its runtime
  // (onnxruntime-node, sharp) is native; a gate without one never loads them.
  const face = config.face ? await (await import('../face/create.ts')).createFaceVerifier(config.face, log.child('face')) : undefined;
  const ports = { turnstile, indicator: await createIndicator(config.indicator), display: await createDisplay(config.display), voice: await createVoice(config.voice) };
  const fingerprint = config.fingerprint ? await createFingerprintReader({ ...config.fingerprint, watch: true }, { log: log.child('fingerprint') }) : undefined;
  const agent = new GateAgent(config, { ...ports, scanner, log, reboot, face, fingerprint });
  await agent.start();
  const readers = new ReaderWiring({
    scanner,
    card: config.card ? await createCardReader(config.card, { log: log.child('card') }) : undefined,
    idcard: config.idcard ? await createIdCardReader(config.idcard, { log: log.child('idcard') }) : undefined,
    wiegand: config.wiegand ? await createWiegandReader(config.wiegand) : undefined,
  }, (credential) => agent.present(credential), log.child('readers'));
  await readers.start();
  let server: ServerType | undefined;
  let consolePort: number | undefined;
  if (config.console) {
    ({ server, port: consolePort } = await startConsole(agent, config.console.host, config.console.port, ports));
    log.info({ url: `http://${config.console.host}:${consolePort}/` }, 'gate console');
  }
  return {
    agent, consolePort,
    async stop() {
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
      await readers.stop();
      await agent.stop();
    },
  };
}
