import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_LANE, credentialValue, makeWorld, randomIndexOf, type WorldParams } from './fixture.ts';

/**
 * RSS of the gate program itself (edge/gate/main.ts, as systemd runs it) on the built cache:
 * started, console up, HQ unreachable, after `scans` presentations through its console. No
 * benchmark arrays live in that process, so this is what a gate with this cache costs.
 */
export async function gateProcessRss(p: WorldParams & { dataDir: string; tickets: number; scans: number }): Promise<{ rssMb: number; hwmMb: number }> {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const configPath = join(p.dataDir, 'gate.json');
  writeFileSync(configPath, JSON.stringify({
    device: 'bench-gate', site: 'bench', lane: BENCH_LANE, dataDir: p.dataDir,
    cloudUrl: 'http://127.0.0.1:9', mqttUrl: 'mqtt://127.0.0.1:9', console: { port: 0 },
  }));
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'edge/gate/main.ts'), configPath], {
    cwd: root, env: { ...process.env, LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'inherit'],
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
    const w = makeWorld(p);
    const kinds = ['barcode', 'card', 'idcard'] as const;
    for (let i = 0; i < p.scans; i++) {
      const kind = kinds[i % kinds.length]!;
      const res = await fetch(`http://127.0.0.1:${port}/scan`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind, code: credentialValue(w, kind, randomIndexOf(kind, p.tickets)) }),
      });
      await res.json();
    }
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
    return { rssMb: Math.round(kb('VmRSS') / 1024), hwmMb: Math.round(kb('VmHWM') / 1024) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}
