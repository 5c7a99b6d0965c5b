import type { Logger } from '../../shared/log/logger.ts';
import { HqRefused, type HqClient } from './hq.ts';
import type { KioskStore, PickupReport } from './store.ts';

interface Result { pickupId: string; result: string; error?: { code: string; message: string } }

/**
 * Sends the pickups made here to HQ (POST /api/v1/sync/pickups) from the durable outbox. HQ
 * records each once by its pickup id, so a send repeated after a lost answer is harmless;
 * a row leaves the outbox only with HQ's answer for it. Failures back off from retryMinMs to
 * retryMaxMs. A pickup HQ refuses outright (4xx when sent alone) is kept as `rejected` with
 * HQ's reason, for staff to look at, instead of blocking the queue behind it.
 */
export class PickupUplink {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private failures = 0;
  lastError: string | undefined;

  constructor(private readonly opts: {
    store: KioskStore; hq: HqClient; device: string; log: Logger; now: () => number;
    retryMinMs: number; retryMaxMs: number; batchSize?: number; random?: () => number;
  }) {}

  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Something was queued (or the line may be back): send now. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    clearTimeout(this.timer);
    this.running = (async () => {
      do {
        this.again = false;
        await this.drain();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
      this.schedule();
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    const next = this.opts.store.outboxNextAt();
    if (next === undefined) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.kick(), Math.max(0, next - this.opts.now()));
  }

  private backoff(): number {
    const { retryMinMs, retryMaxMs } = this.opts;
    const base = Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(this.failures, 20));
    // Jitter, so kiosks that lost the line together do not all call back at once.
    return Math.round(base * (0.5 + (this.opts.random ?? Math.random)() * 0.5));
  }

  private async drain(): Promise<void> {
    const { store, log } = this.opts;
    for (;;) {
      if (this.stopped) return;
      const due = store.outboxDue(this.opts.batchSize ?? 100);
      if (!due.length) return;
      const reports = due.map((r) => JSON.parse(r.body) as PickupReport);
      try {
        const results = await this.send(reports);
        store.acknowledge(results);
        this.failures = 0;
        this.lastError = undefined;
        log.info({ sent: results.length, results: results.map((r) => r.result) }, 'pickups recorded at HQ');
      } catch (err) {
        if (err instanceof HqRefused && reports.length > 1) {
          // One bad row must not hold the others: send them one at a time.
          for (const r of reports) await this.sendAlone(r);
          continue;
        }
        if (err instanceof HqRefused) {
          await this.sendAlone(reports[0]!, err);
          continue;
        }
        this.failures++;
        this.lastError = (err as Error).message;
        const delay = this.backoff();
        store.deferred(reports.map((r) => r.pickupId), this.lastError, this.opts.now() + delay);
        log.warn({ err: this.lastError, queued: store.outboxSize(), retryInMs: delay }, 'pickups not sent; will retry');
        return;
      }
    }
  }

  private async sendAlone(r: PickupReport, known?: HqRefused): Promise<void> {
    try {
      if (known) throw known;
      this.opts.store.acknowledge(await this.send([r]));
    } catch (err) {
      if (err instanceof HqRefused) {
        this.opts.log.error({ pickupId: r.pickupId, orderNo: r.orderNo, code: err.code, err: err.message }, 'HQ refused a pickup; kept as rejected');
        this.opts.store.acknowledge([{ pickupId: r.pickupId, result: `rejected:${err.code}` }]);
        return;
      }
      this.failures++;
      this.lastError = (err as Error).message;
      this.opts.store.deferred([r.pickupId], this.lastError, this.opts.now() + this.backoff());
    }
  }

  private async send(reports: PickupReport[]): Promise<Result[]> {
    const body = { device: this.opts.device, pickups: reports.map((r) => ({ pickupId: r.pickupId, orderNo: r.orderNo, at: r.at, site: r.site })) };
    const res = await this.opts.hq.call<{ results: Result[] }>('POST', '/api/v1/sync/pickups', body, 15_000);
    const results = res.body.results ?? [];
    if (results.length !== reports.length) throw new Error(`HQ answered ${results.length} results for ${reports.length} pickups`);
    // HQ may refuse one pickup of a batch on its own (e.g. a pickup id reused): kept as rejected, with why.
    return results.map((r) => {
      if (r.result !== 'rejected') return r;
      this.opts.log.error({ pickupId: r.pickupId, code: r.error?.code, err: r.error?.message }, 'HQ refused a pickup; kept as rejected');
      return { pickupId: r.pickupId, result: `rejected:${r.error?.code ?? 'unknown'}` };
    });
  }
}
