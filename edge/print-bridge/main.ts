/** `npm run print-bridge -- <config.json>`: the ticket window's printer, for the back office page (see provisioning/print-bridge/). */
import { createLogger } from '../../shared/log/logger.ts';
import { PrintBridge } from './bridge.ts';
import { loadBridgeConfig } from './config.ts';

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: npm run print-bridge -- <config.json>\n');
  process.exit(2);
}
const config = loadBridgeConfig(path);
const log = createLogger('print-bridge');
const bridge = new PrintBridge(config, { log });
await bridge.start();
process.stdout.write(`打印桥 / print bridge (${config.printer.driver}${config.fingerprint ? `, 指纹仪 ${config.fingerprint.path}` : ''}): ${bridge.url}/ for ${config.allowOrigins.join(', ')}\n`);
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await bridge.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
