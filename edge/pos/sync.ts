import type { Logger } from '../../shared/log/logger.ts';
import { SingleFlight } from '../../shared/sync/single-flight.ts';
import { HqRefused, type HqClient } from '../agent/hq.ts';
import { OutboxSender } from '../agent/outbox.ts';
import type { ChargeResult } from './charge-link.ts';
import type { PosStore, WalletRow } from './store.ts';

/**
 * Balances and blocked bands down from HQ (`/sync/pos/wallets?since=<version>`, page by page,
 * each page in one transaction with its checkpoint), and the shop's items; on a timer and
 * whenever the doorbell rings. `lastOkAt` is what "online" means at the till.
 */
export class PosDownlink {
  lastOkAt: number | undefined;
  lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly flight = new SingleFlight(() => this.once(), () => this.stopped);

  constructor(private readonly o: {
    store: PosStore; hq: HqClient; site: string; shop: string; intervalMs: number; log: Logger; now: () => number;
    /** A pull went through after one that did not: the line is back. */
    onBack?: () => void;
  }) {}

  start(): void {
    this.stopped = false;
    void this.pull();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.flight.settled();
  }

  /** Pulls now (single flight: a ring during a pull makes one more pull after it). */
  pull(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    clearTimeout(this.timer);
    return this.flight.run().finally(() => {
      clearTimeout(this.timer);
      if (!this.stopped) this.timer = setTimeout(() => void this.pull(), this.o.intervalMs);
    });
  }

  private async once(): Promise<void> {
    const { store, hq, site, log } = this.o;
    try {
      const cat = await hq.call<{ items: { code: string; name: string; priceFen: number }[] }>('GET', `/api/v1/sync/pos/catalog?site=${site}&shop=${this.o.shop}`);
      store.setItems(cat.body.items);
      for (let pages = 0; pages < 100; pages++) {
        const since = store.checkpoint();
        const r = await hq.call<{ wallets: WalletRow[]; next: number; more: boolean; lockers: { code: string; bandUid: string | null }[] }>('GET', `/api/v1/sync/pos/wallets?site=${site}&since=${since}`);
        store.applyWallets(r.body.wallets, r.body.next);
        store.setLockers(r.body.lockers ?? []);
        if (!r.body.more) break;
      }
      this.lastOkAt = this.o.now();
      if (this.lastError !== undefined) this.o.onBack?.();
      this.lastError = undefined;
    } catch (err) {
      this.lastError = (err as Error).message;
      log.debug(() => ({ err: this.lastError }), 'balances not pulled');
    }
  }
}

type Result = ChargeResult;

/**
 * Charges up to HQ from the SQLite outbox (`POST /sync/pos/charges`, or over MQTT through the
 * site hub with `send` from charge-link.ts), oldest first, through
 * the agents' outbox sender (edge/agent/outbox.ts). HQ records each once by its chargeId, so
 * a batch sent again after a lost answer is harmless; a charge leaves the outbox only with
 * HQ's answer for it. Failures back off with jitter.
 */
export class PosUplink {
  private readonly sender: OutboxSender;

  constructor(private readonly o: {
    store: PosStore; hq: HqClient; site: string; device: string; shop: string; log: Logger; now: () => number;
    retryMinMs: number; retryMaxMs: number; random?: () => number; batchSize?: number;
    /** HQ answered a batch (balances there changed). */
    onSent?: () => void;
    /** How a batch reaches HQ; default: HTTP to the cloudUrl. */
    send?: (body: ReturnType<typeof chargesBody>) => Promise<Result[]>;
  }) {
    this.sender = new OutboxSender({ ...o, nextAt: () => o.store.outboxNextAt(), drain: () => this.drain() });
  }

  get lastError(): string | undefined { return this.sender.lastError; }
  start(): void { this.sender.start(); }
  stop(): Promise<void> { return this.sender.stop(); }
  kick(): Promise<void> { return this.sender.kick(); }

  private async drain(): Promise<void> {
    const { store, log } = this.o;
    while (!this.sender.stopped) {
      const due = store.outboxDue(this.o.batchSize ?? 100);
      if (!due.length) return;
      try {
        const body = chargesBody(this.o.device, this.o.shop, due);
        const results = this.o.send
          ? await this.o.send(body)
          : (await this.o.hq.call<{ results: Result[] }>('POST', `/api/v1/sync/pos/charges?site=${this.o.site}`, body, 15_000)).body.results ?? [];
        acceptResults(store, log, due, results);
        this.sender.succeeded();
        this.o.onSent?.();
      } catch (err) {
        if (err instanceof HqRefused) {
          // The whole batch refused (credential, a body HQ cannot read): kept, retried slowly, said loudly.
          log.error({ code: err.code, err: err.message }, 'HQ refused the charge upload');
        }
        const at = this.sender.failed(err);
        store.deferred(due.map((c) => c.chargeId), this.sender.lastError!, at);
        log.warn({ err: this.sender.lastError, queued: store.outboxSize(), retryInMs: at - this.o.now() }, 'charges not sent; will retry');
        return;
      }
    }
  }
}

type Due = ReturnType<PosStore['outboxDue']>;

/** The upload body HQ takes (cloud/wallet/charges.ts chargesUpload), over HTTP or MQTT alike. */
export function chargesBody(device: string, shop: string, due: Due) {
  return {
    device,
    charges: due.map((c) => ({
      chargeId: c.chargeId, walletId: c.walletId, bandUid: c.bandUid, shop, amountFen: c.amountFen, items: c.items,
      ...(c.voidOf ? { voidOf: c.voidOf } : {}), at: c.at, offline: c.offline, confirm: c.decided === 'hq',
    })),
  };
}

/** HQ's answers for a batch into the store (the rows leave the outbox), each one logged as it deserves. */
export function acceptResults(store: PosStore, log: Logger, due: Due, results: Result[]): void {
  if (results.length !== due.length) throw new Error(`HQ answered ${results.length} results for ${due.length} charges`);
  store.acknowledge(results.map((r) => ({ ...r, result: r.result === 'rejected' ? `rejected:${r.error?.code ?? 'unknown'}` : r.result })), new Map(due.map((c) => [c.chargeId, c.decided])));
  for (const r of results) {
    if (r.result === 'rejected' && ['insufficient_balance', 'band_blocked'].includes(r.error?.code ?? '')) log.info({ chargeId: r.chargeId, code: r.error?.code }, 'HQ declined a charge');
    else if (r.result === 'rejected') log.error({ chargeId: r.chargeId, code: r.error?.code, err: r.error?.message }, 'HQ refused a charge; kept as rejected');
    else if ((r.overspentFen ?? 0) > 0) log.warn({ chargeId: r.chargeId, overspentFen: r.overspentFen }, 'HQ reports the band over-spent');
  }
  log.info({ sent: results.length }, 'charges recorded at HQ');
}
