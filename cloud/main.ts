import { createLogger } from '../shared/log/logger.ts';
import { loadCloudConfig } from './config.ts';
import { Cloud } from './server.ts';

const log = createLogger('cloud');
const cloud = new Cloud(loadCloudConfig(), log);
await cloud.start();
const shutdown = async () => {
  await cloud.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
