import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/**
 * A V8 CPU profile of this process until stop(), written to `file` (open it in Chrome's
 * DevTools); nothing when `file` is undefined. BENCH_PROFILE=<file.cpuprofile> profiles the
 * catch-up from restore() to the last ack, the bench's process and HQ's (`<file>-hq.cpuprofile`).
 */
export async function startProfile(file: string | undefined): Promise<{ stop(): Promise<void> } | undefined> {
  if (!file) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
