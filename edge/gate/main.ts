import { createLogger } from '../../shared/log/logger.ts';
import { loadGateConfig } from './config.ts';
import { runGate } from './run.ts';

// Usage: tsx edge/gate/main.ts <config.json>   (or GATE_CONFIG=<path>)
const path = process.argv[2] ?? process.env.GATE_CONFIG;
if (!path) {
  process.stderr.write('usage: tsx edge/gate/main.ts <gate-config.json>\n');
  process.exit(2);
}
const config = loadGateConfig(path);
const log = createLogger(`gate:${config.device}`);
// Reboot = stop cleanly and exit; the service manager (provisioning/systemd) starts it again.
const gate = await runGate(config, log, () => void shutdown());
if (gate.consolePort !== undefined) process.stdout.write(`READY console=${gate.consolePort}\n`);
async function shutdown(): Promise<void> {
  await gate.stop();
  process.exit(0);
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
