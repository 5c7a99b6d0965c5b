/**
 * Load for the data-centre suites: window clients selling without pause, each retrying its
 * order with the same Idempotency-Key until it is answered 2xx (as a till does after a
 * timeout), and gates admitting the tickets those orders made.
 */
import type { TestGate } from './gate.ts';

export interface Answered { key: string; orderId: string; codes: string[]; at: number }

export class SalesLoad {
  readonly answered: Answered[] = [];
  /** Every non-2xx answer or failed request, by status ('network' for no answer). */
  readonly refusals = new Map<string, number>();
  /** Codes sold and not yet handed to a gate. */
  readonly codes: string[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly opts: {
    url: string;
    sellers: { token: string }[];
    clients: number;
    /** How long a client keeps retrying its last order once stop() was called. */
    drainMs?: number;
  }) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.opts.clients }, (_, i) => this.client(i));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async client(i: number): Promise<void> {
    const seller = this.opts.sellers[i % this.opts.sellers.length]!;
    for (let n = 0; this.running; n++) {
      const key = `load-${process.pid}-${i}-${n}`;
      const until = () => (this.running ? Infinity : stoppedAt + (this.opts.drainMs ?? 60_000));
      let stoppedAt = Infinity;
      for (;;) {
        if (!this.running && stoppedAt === Infinity) stoppedAt = Date.now();
        if (Date.now() > until()) throw new Error(`order ${key} still not answered ${this.opts.drainMs ?? 60_000} ms after the load stopped`);
        let status = 'network';
        try {
          const res = await fetch(`${this.opts.url}/api/v1/orders`, {
            method: 'POST', signal: AbortSignal.timeout(15_000),
            headers: { 'content-type': 'application/json', authorization: `Bearer ${seller.token}`, 'idempotency-key': key },
            body: JSON.stringify({ lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'cash', amountFen: 12000, tenderedFen: 12000 }] }),
          });
          status = String(res.status);
          if (res.status === 201) {
            const o = (await res.json()) as { id: string; lines: { tickets: { code: string }[] }[] };
            const codes = o.lines.flatMap((l) => l.tickets.map((t) => t.code));
            this.answered.push({ key, orderId: o.id, codes, at: Date.now() });
            this.codes.push(...codes);
            break;
          }
          await res.body?.cancel();
        } catch { /* no answer: retried with the same key */ }
        this.refusals.set(status, (this.refusals.get(status) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** The longest time between two consecutive 2xx answers within [from, to]. */
  longestGap(from: number, to: number): number {
    const times = this.answered.map((a) => a.at).filter((t) => t >= from && t <= to).sort((a, b) => a - b);
    let gap = 0;
    for (let j = 1; j < times.length; j++) gap = Math.max(gap, times[j]! - times[j - 1]!);
    return gap;
  }
}

/** Gates admitting sold tickets one after another, each code once, while running. */
export class GateLoad {
  admitted = 0;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly gates: TestGate[], private readonly codes: string[], private readonly everyMs = 40) {}

  start(): void {
    this.running = true;
    this.loops = this.gates.map(async (g) => {
      while (this.running) {
        const code = this.codes.shift();
        if (code && (await g.agent.present(code)).admit) this.admitted++;
        await new Promise((r) => setTimeout(r, this.everyMs));
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

/** The nonces a gate holds of its own passages (its local log, never pruned by acks). */
export function gateNonces(g: TestGate): string[] {
  return (g.agent.store.db.$client.prepare('select nonce from entries where device = ? order by nonce').all(g.agent.config.device) as { nonce: string }[]).map((r) => r.nonce);
}
