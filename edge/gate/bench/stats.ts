import { readFileSync } from 'node:fs';

/** Nearest-rank percentile of microsecond samples (sorts a copy). */
export function percentiles(us: Float64Array, ...ps: number[]): number[] {
  const sorted = Float64Array.from(us).sort();
  return ps.map((p) => round1(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!));
}

export const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * One progress line on stderr: redrawn in place on a terminal, a line per tenth when
 * stderr goes to a file (a background run is polled with tail).
 */
export class Progress {
  private readonly t0 = performance.now();
  private lastDraw = 0;
  private lastTenth = -1;

  constructor(private readonly label: string, private readonly total: number) {}

  update(done: number): void {
    const tty = process.stderr.isTTY;
    const now = performance.now();
    const tenth = Math.floor((done / this.total) * 10);
    if (tty ? now - this.lastDraw < 200 && done < this.total : tenth === this.lastTenth) return;
    this.lastDraw = now;
    this.lastTenth = tenth;
    const frac = done / this.total;
    const bar = '#'.repeat(Math.round(frac * 30)).padEnd(30, '.');
    const line = `${this.label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en')}/${this.total.toLocaleString('en')} ${((now - this.t0) / 1000).toFixed(1)} s`;
    process.stderr.write(tty ? `\r${line}${done >= this.total ? '\n' : ''}` : `${line}\n`);
  }
}

/**
 * CPU taken by other processes (and the hypervisor's steal) while a phase ran, in cores
 * (0 = none, 1 = one core busy), from /proc/stat less this process's own time. Tail
 * latencies mean little when this is high. Undefined where there is no /proc/stat.
 */
export class OtherCpu {
  private readonly t0 = performance.now();
  private readonly busy0 = systemBusySeconds();
  private readonly own0 = process.cpuUsage();

  cores(): number | undefined {
    const busy = systemBusySeconds();
    if (busy === undefined || this.busy0 === undefined) return undefined;
    const own = process.cpuUsage(this.own0);
    const others = busy - this.busy0 - (own.user + own.system) / 1e6;
    return Math.max(0, Math.round((others / ((performance.now() - this.t0) / 1000)) * 100) / 100);
  }
}

function systemBusySeconds(): number | undefined {
  try {
    // "cpu user nice system idle iowait irq softirq steal ...", in USER_HZ (100 on Linux).
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) / 100;
  } catch {
    return undefined;
  }
}
