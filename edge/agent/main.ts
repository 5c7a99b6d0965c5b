import { createLogger } from '../../shared/log/logger.ts';

/**
 * The program around one site agent (`npm run kiosk|pos -- <config.json>`): reads the config,
 * starts the agent, prints where its page is, stops it cleanly on SIGINT/SIGTERM.
 */
export async function runAgent<C extends { device: string }>(o: {
  command: string; role: string;
  load: (path: string) => C;
  create: (config: C, log: ReturnType<typeof createLogger>) => { url: string; start(): Promise<void>; stop(): Promise<void> };
  banner: (config: C, url: string) => string;
}): Promise<void> {
  const path = process.argv[2];
  if (!path) {
    process.stderr.write(`usage: npm run ${o.command} -- <config.json>\n`);
    process.exit(2);
  }
  const config = o.load(path);
  const agent = o.create(config, createLogger(`${o.role}:${config.device}`));
  await agent.start();
  process.stdout.write(`${o.banner(config, agent.url)}\n`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await agent.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
