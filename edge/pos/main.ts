/** `npm run pos -- <config.json>`: one point of sale at a water-park shop (wristband wallet). */
import { runAgent } from '../agent/main.ts';
import { PosAgent } from './agent.ts';
import { loadPosConfig } from './config.ts';

await runAgent({
  command: 'pos', role: 'pos', load: loadPosConfig,
  create: (config, log) => new PosAgent(config, { log }),
  banner: (config, url) => `收银 / POS ${config.device} (${config.shop}): ${url}/`,
});
