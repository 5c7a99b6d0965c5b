import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const setup = new URL('../../provisioning/mosquitto/setup.sh', import.meta.url).pathname;
const BINARIES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'];

/** Debian's mosquitto binary, if installed (`.ci/run` installs it). */
export const mosquittoBinary = (): string | undefined => BINARIES.find((b) => existsSync(b));

export interface TestMosquitto {
  port: number;
  url: string;
  dir: string;
  /**
   * Stops it and starts it again on the same port, with nothing retained (persistence off);
   * `meanwhile` runs while it is down (to lose an account from its dynamic-security.json).
   */
  restart(meanwhile?: () => void): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function accepting(port: number, timeoutMs: number, proc: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`mosquitto exited (${proc.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`mosquitto did not listen on ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A real mosquitto on loopback, set up by provisioning/mosquitto/setup.sh: TLS with the given
 * certificate, the dynamic security plugin with HQ's login as its admin.
 */
export async function startMosquitto(opts: { cert: string; key: string; hqUser: string; hqPassword: string }): Promise<TestMosquitto> {
  const bin = mosquittoBinary();
  if (!bin) throw new Error('mosquitto is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'tk-mosquitto-'));
  const port = await freePort();
  execFileSync('bash', [setup, dir, String(port), opts.cert, opts.key, opts.hqUser], {
    env: { ...process.env, MQTT_PASSWORD: opts.hqPassword, BIND: '127.0.0.1', RUN_AS: userInfo().username, PERSISTENCE: 'false' }, stdio: 'pipe',
  });
  let proc: ChildProcess;
  let output = '';
  const launch = async () => {
    output = '';
    proc = spawn(bin, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    // A test process that dies must not leave its broker behind.
    const child = proc;
    const reap = () => child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    await accepting(port, 10_000, proc, () => output);
  };
  const halt = async () => {
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
  await launch();
  return {
    port, dir, url: `mqtts://127.0.0.1:${port}`,
    async restart(meanwhile) {
      await halt();
      meanwhile?.();
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
