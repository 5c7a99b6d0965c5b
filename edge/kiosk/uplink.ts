import type { Logger } from '../../shared/log/logger.ts';
import { HqRefused, type HqClient } from '../agent/hq.ts';
import { OutboxSender } from '../agent/outbox.ts';
import type { KioskStore, PickupReport } from './store.ts';

interface Result { pickupId: string; result: string; error?: { code: string; message: string } }

/**
 * Sends the pickups made here to HQ (POST /api/v1/sync/pickups) from the durable outbox
 * (edge/agent/outbox.ts runs the sends). HQ records each once by its pickup id, so a send
 * repeated after a lost answer is harmless; a row leaves the outbox only with HQ's answer for
 * it. Failures back off from retryMinMs to retryMaxMs. A pickup HQ refuses outright (4xx when
 * sent alone) is kept as `rejected` with HQ's reason, for staff to look at, instead of
 * blocking the queue behind it.
 */
export class PickupUplink {
  private readonly sender: OutboxSender;

  constructor(private readonly opts: {
    store: KioskStore; hq: HqClient; device: string; log: Logger; now: () => number;
    retryMinMs: number; retryMaxMs: number; batchSize?: number; random?: () => number;
  }) {
    this.sender = new OutboxSender({ ...opts, nextAt: () => opts.store.outboxNextAt(), drain: () => this.drain() });
  }

  get lastError(): string | undefined { return this.sender.lastError; }
  start(): void { this.sender.start(); }
  stop(): Promise<void> { return this.sender.stop(); }
  /** Something was queued (or the line may be back): send now. */
  kick(): Promise<void> { return this.sender.kick(); }

  private async drain(): Promise<void> {
    const { store, log } = this.opts;
    for (;;) {
      if (this.sender.stopped) return;
      const due = store.outboxDue(this.opts.batchSize ?? 100);
      if (!due.length) return;
      const reports = due.map((r) => JSON.parse(r.body) as PickupReport);
      try {
        const results = await this.send(reports);
        store.acknowledge(results);
        this.sender.succeeded();
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
        const at = this.sender.failed(err);
        store.deferred(reports.map((r) => r.pickupId), this.sender.lastError!, at);
        log.warn({ err: this.sender.lastError, queued: store.outboxSize(), retryInMs: at - this.opts.now() }, 'pickups not sent; will retry');
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
      const at = this.sender.failed(err);
      this.opts.store.deferred([r.pickupId], this.sender.lastError!, at);
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
