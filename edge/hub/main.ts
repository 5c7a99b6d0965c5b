import { createLogger } from '../../shared/log/logger.ts';
import { loadHubConfig } from './config.ts';
import { SiteHub } from './hub.ts';

// Usage: npm run hub -- <hub-config.json>   (or HUB_CONFIG=<path>); see provisioning/hub/hub.example.json.
const path = process.argv[2] ?? process.env.HUB_CONFIG;
if (!path) {
  process.stderr.write('usage: tsx edge/hub/main.ts <hub-config.json>\n');
  process.exit(2);
}
let hub: SiteHub;
try {
  const config = loadHubConfig(path);
  hub = new SiteHub(config, createLogger(`hub:${config.hub}`));
  await hub.start();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
process.stdout.write(`READY mqtt=${hub.mqttPort} http=${hub.httpPort}\n`);
const shutdown = async () => {
  await hub.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
