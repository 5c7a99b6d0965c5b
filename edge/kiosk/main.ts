/** `npm run kiosk -- <config.json>`: one self-service kiosk (see provisioning/kiosk/kiosk.example.json). */
import { runAgent } from '../agent/main.ts';
import { KioskAgent } from './agent.ts';
import { loadKioskConfig } from './config.ts';

await runAgent({
  command: 'kiosk', role: 'kiosk', load: loadKioskConfig,
  create: (config, log) => new KioskAgent(config, { log }),
  banner: (config, url) => `自助取票机 / kiosk ${config.device}: ${url}/`,
});
