import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DeviceSpec } from '../support/provision.ts';

/** What the bench asks of HQ's database, whether HQ runs in this process or in another. */
export interface HqQueries {
  provision(devices: DeviceSpec[]): Promise<void>;
  logHead(): Promise<number>;
  streamAcked(device: string, epoch: string): Promise<number>;
  entriesAt(device: string): Promise<number>;
}

/** An HQ the bench reaches over loopback only: its ports, its URLs and its queries. */
export interface HqProcess {
  readonly url: string;
  readonly mqttUrl: string;
  readonly httpPort: number;
  readonly mqttPort: number;
  readonly queries: HqQueries;
  /** Profiles HQ's process until stop() (test/bench/profile.ts). */
  profile(file: string): Promise<{ stop(): Promise<void> }>;
  /** CPU time the HQ process has used, seconds (user + system). */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

export type HqRequest = { id: number; op: keyof HqQueries | 'cpu' | 'profile' | 'profileStop' | 'stop'; args: unknown[] };
export type HqReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
export type HqReady = { ready: { url: string; mqttUrl: string; httpPort: number; mqttPort: number } };

/**
 * HQ (PGlite, aedes, HTTP) in a child process (test/bench/hq-child.ts). In production HQ is
 * another machine: run in the bench's one process, its ingest (synchronous WebAssembly for
 * PGlite) and the gate's and line simulator's work take turns on one event loop, so each
 * delays the others' timers and the line looks slower than it is. `extra` is the cloud
 * config (e.g. `databaseUrl`); the bench talks to it over HTTP, MQTT and these queries.
 */
export async function startHqProcess(extra: Record<string, unknown> = {}): Promise<HqProcess> {
  const child = fork(fileURLToPath(new URL('./hq-child.ts', import.meta.url)), [JSON.stringify(extra)], {
    execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<HqReady['ready']>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`HQ process exited (${code}) before it was ready`)));
    child.on('message', (m: HqReady | HqReply) => {
      if ('ready' in m) return resolve(m.ready);
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.ok) w?.resolve(m.value);
      else w?.reject(new Error(`HQ process: ${m.error}`));
    });
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`HQ process exited (${code})`));
    waiting.clear();
  });
  const call = <T>(op: HqRequest['op'], ...args: unknown[]) => new Promise<T>((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
    child.send({ id, op, args } satisfies HqRequest);
  });
  return {
    ...ready,
    queries: {
      provision: (devices) => call('provision', devices),
      logHead: () => call('logHead'),
      streamAcked: (device, epoch) => call('streamAcked', device, epoch),
      entriesAt: (device) => call('entriesAt', device),
    },
    cpuSeconds: () => call('cpu'),
    async profile(file) {
      await call('profile', file);
      return { stop: () => call('profileStop') };
    },
    async stop() {
      if (child.exitCode !== null) return;
      await call('stop').catch(() => undefined);
      await exited;
    },
  };
}
