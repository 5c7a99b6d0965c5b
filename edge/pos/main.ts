/** `npm run pos -- <config.json>`: one point of sale at a water-park shop (wristband wallet). */
import { createLogger } from '../../shared/log/logger.ts';
import { PosAgent } from './agent.ts';
import { loadPosConfig } from './config.ts';

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: npm run pos -- <config.json>\n');
  process.exit(2);
}
const config = loadPosConfig(path);
const log = createLogger(`pos:${config.device}`);
const agent = new PosAgent(config, { log });
await agent.start();
process.stdout.write(`收银 / POS ${config.device} (${config.shop}): ${agent.url}/\n`);
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await agent.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
