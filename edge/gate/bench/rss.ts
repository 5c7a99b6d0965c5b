import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_LANE, credentialValue, makeWorld, randomIndexOf, type WorldParams } from './fixture.ts';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ProgramRss {
  /** After start, console up, HQ unreachable, `idleMs` later: what the gate holds waiting. */
  idleMb: number;
  /** After the scans: what a gate in service holds. */
  rssMb: number;
  /** The high-water mark over the whole run. */
  hwmMb: number;
  scans: number;
  admitted: number;
}

/**
 * node's arguments in the gate's systemd unit (provisioning/systemd/scenic-gate.service), from
 * its ExecStart less the node binary and the config path: the bench starts the gate exactly as
 * production does (the unit's WorkingDirectory is the checkout, as the bench's cwd is).
 */
export function unitNodeArgs(unit = 'scenic-gate.service'): string[] {
  const text = readFileSync(join(ROOT, 'provisioning/systemd', unit), 'utf8');
  const exec = /^ExecStart=\S*\/node((?: \S+)+) \S+\.json$/m.exec(text);
  if (!exec) throw new Error(`no "ExecStart=.../node ... <config>.json" line in ${unit}`);
  return exec[1]!.trim().split(' ');
}

const statusKb = (pid: number, key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const mb = (kb: number) => Math.round(kb / 1024);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * RSS of the gate program itself (`node <args> <config>`, as systemd runs it: the built
 * dist/edge/gate/main.js, or `--import tsx edge/gate/main.ts` for development) on the built
 * cache, with its console on loopback and HQ unreachable: once idle, then after `scans`
 * presentations of cache-resolved credentials through the console. No benchmark arrays live
 * in that process, so this is what a gate with this cache costs.
 */
export async function gateProcessRss(p: WorldParams & { dataDir: string; tickets: number; scans: number; idleMs: number }, args: string[]): Promise<ProgramRss> {
  const configPath = join(p.dataDir, 'gate.json');
  writeFileSync(configPath, JSON.stringify({
    device: 'bench-gate', site: 'bench', lane: BENCH_LANE, dataDir: p.dataDir,
    cloudUrl: 'http://127.0.0.1:9', mqttUrl: 'mqtt://127.0.0.1:9', console: { port: 0 },
  }));
  const child = spawn(process.execPath, [...args, configPath], {
    cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /READY console=(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`gate exited with ${code}`)));
    });
    await sleep(p.idleMs);
    const idleMb = mb(statusKb(child.pid!, 'VmRSS'));
    const w = makeWorld(p);
    const kinds = ['barcode', 'card', 'idcard'] as const;
    let admitted = 0;
    for (let i = 0; i < p.scans; i++) {
      const kind = kinds[i % kinds.length]!;
      const res = await fetch(`http://127.0.0.1:${port}/scan`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind, code: credentialValue(w, kind, randomIndexOf(kind, p.tickets)) }),
      });
      if (((await res.json()) as { admit?: boolean }).admit) admitted++;
    }
    // A measurement of refusals would be a measurement of a different program: a few may be
    // refused (a random ticket drawn twice), not most.
    if (admitted < p.scans * 0.9) throw new Error(`only ${admitted} of ${p.scans} scans admitted: the gate is not reading this cache`);
    await sleep(500);
    return { idleMb, rssMb: mb(statusKb(child.pid!, 'VmRSS')), hwmMb: mb(statusKb(child.pid!, 'VmHWM')), scans: p.scans, admitted };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/** The floor: a bare `node -e` process that only waits. */
export async function nodeFloorRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  try {
    await sleep(1000);
    return mb(statusKb(child.pid!, 'VmRSS'));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}
