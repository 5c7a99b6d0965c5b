import { withGateToken } from './devices.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/** A gate agent in its own process, as in production, driven through its console. */
export class GateProcess {
  child: ChildProcess | undefined;
  consoleUrl = '';
  output = '';

  /** `program`: node's arguments before the config; development's tsx unless given (a build's main.js). */
  constructor(readonly configPath: string, readonly program = ['--import', 'tsx', join(root, 'edge/gate/main.ts')]) {}

  static write(dir: string, config: Record<string, unknown>, program?: string[]): GateProcess {
    const path = join(dir, 'gate.json');
    writeFileSync(path, JSON.stringify(withGateToken(config), null, 2));
    return new GateProcess(path, program);
  }

  async start(): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, [...this.program, this.configPath], {
      cwd: root, env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.consoleUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gate did not start:\n${this.output}`)), 20_000);
      const onData = (d: Buffer) => {
        this.output += d;
        const m = /READY console=(\d+)/.exec(this.output);
        if (m) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${m[1]}`);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (d) => (this.output += d));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`gate exited with ${code}:\n${this.output}`));
      });
    });
    child.removeAllListeners('exit');
  }

  async scan(code: string, persons?: number): Promise<any> {
    const res = await fetch(`${this.consoleUrl}/scan`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, persons }),
    });
    return res.json();
  }

  async status(): Promise<any> {
    return (await fetch(`${this.consoleUrl}/status`)).json();
  }

  /** Kills without warning: no shutdown code runs. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
    this.child = undefined;
  }
}
