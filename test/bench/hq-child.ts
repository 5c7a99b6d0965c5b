/**
 * The child side of test/bench/hq-process.ts: a test HQ (startTestCloud) answering the
 * bench's queries over IPC until it is told to stop.
 */
import { startTestCloud } from '../support/cloud.ts';
import type { HqReady, HqReply, HqRequest } from './hq-process.ts';
import { localQueries } from './rig.ts';
import { startProfile } from './profile.ts';

const send = (m: HqReady | HqReply) => process.send!(m);
const cloud = await startTestCloud(JSON.parse(process.argv[2] ?? '{}'));
const queries = localQueries(cloud);
let profile: { stop(): Promise<void> } | undefined;
let stopping: Promise<void> | undefined;
const stop = () => (stopping ??= cloud.cleanup());
process.on('message', async ({ id, op, args }: HqRequest) => {
  try {
    if (op === 'stop') {
      await stop();
      send({ id, ok: true, value: null });
      process.disconnect();
      return;
    }
    if (op === 'profile') {
      profile = await startProfile(args[0] as string);
      send({ id, ok: true, value: null });
      return;
    }
    if (op === 'profileStop') {
      await profile?.stop();
      send({ id, ok: true, value: null });
      return;
    }
    if (op === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ id, ok: true, value: (user + system) / 1e6 });
      return;
    }
    const value = await (queries[op] as (...a: unknown[]) => Promise<unknown>)(...args);
    send({ id, ok: true, value });
  } catch (err) {
    send({ id, ok: false, error: (err as Error).stack ?? String(err) });
  }
});
// The bench died: nothing left to answer.
process.on('disconnect', () => {
  void stop().finally(() => process.exit(0));
});
send({ ready: { url: cloud.url, mqttUrl: cloud.mqttUrl, httpPort: cloud.httpPort, mqttPort: cloud.mqttPort } });
