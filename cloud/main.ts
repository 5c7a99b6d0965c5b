import { createLogger } from '../shared/log/logger.ts';
import { loadCloudConfig, type CloudConfig } from './config.ts';
import { Cloud } from './server.ts';

const log = createLogger('cloud');
let config: CloudConfig;
try {
  config = loadCloudConfig();
} catch (err) {
  // A config error says which variable to set; a stack trace would bury it.
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
const cloud = new Cloud(config, log);
await cloud.start();
const shutdown = async () => {
  await cloud.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
