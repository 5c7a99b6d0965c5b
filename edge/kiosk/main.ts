/** `npm run kiosk -- <config.json>`: one self-service kiosk (see provisioning/kiosk/kiosk.example.json). */
import { createLogger } from '../../shared/log/logger.ts';
import { KioskAgent } from './agent.ts';
import { loadKioskConfig } from './config.ts';

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: npm run kiosk -- <config.json>\n');
  process.exit(2);
}
const config = loadKioskConfig(path);
const log = createLogger(`kiosk:${config.device}`);
const agent = new KioskAgent(config, { log });
await agent.start();
process.stdout.write(`自助取票机 / kiosk ${config.device}: ${agent.url}/\n`);
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await agent.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
