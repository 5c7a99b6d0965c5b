import type { Logger } from '../../shared/log/logger.ts';
import { ChangePuller } from '../../shared/sync/puller.ts';
import { HqRefused, type HqClient } from '../agent/hq.ts';
import type { KioskStore } from './store.ts';

/**
 * The kiosk's side of the change-log pull (shared/sync/puller.ts does the pulling) through its
 * HQ client: the store takes `booking`, `template` and `key` changes and steps over every
 * other kind, including kinds newer than this program. Each round first refreshes the list
 * of ticket types the kiosk prints names for and sells.
 */
export class KioskDownlink {
  private readonly puller: ChangePuller;

  constructor(opts: { store: KioskStore; hq: HqClient; site: string; intervalMs: number; log: Logger; now: () => number; pageSize?: number }) {
    const { store, hq, log } = opts;
    this.puller = new ChangePuller({
      site: opts.site, intervalMs: opts.intervalMs, pageSize: opts.pageSize ?? 1000, log, now: opts.now,
      get: async (path) => (await hq.call<unknown>('GET', path, undefined, 15_000)).body,
      beforeRound: async () => {
        try {
          const types = await hq.call<{ types: { typeId: number; code: string; name: string; priceFen: number; persons: number; entries: number; validityDays: number }[] }>('GET', '/api/v1/sync/kiosk/types');
          store.setTypes(types.body.types);
        } catch (err) {
          // Names and prices are a nicety for printing; the bookings below are what pickup needs.
          if (!(err instanceof HqRefused)) throw err;
          log.warn({ code: err.code }, 'HQ refused the list of ticket types');
        }
      },
      target: {
        position: () => ({ since: store.checkpoint(), log: store.meta('change_log') ?? '' }),
        reset: (logId) => store.resetCache(logId),
        clockOffset: (ms) => store.setMeta('clock_offset', String(ms)),
        apply: (page) => {
          if (page.log && page.log !== (store.meta('change_log') ?? '')) store.setMeta('change_log', page.log);
          const applied = store.applyBatch(page);
          if (applied.bookings || applied.templates) log.debug(() => ({ ...applied, checkpoint: page.next }), 'kiosk changes applied');
        },
      },
    });
  }

  get lastError(): string | undefined { return this.puller.lastError; }
  get lastPullAt(): number | undefined { return this.puller.lastPullAt; }

  start(): void { this.puller.start(); }
  stop(): Promise<void> { return this.puller.stop(); }
  /** Single-flight: asked while a pull runs, it runs once more afterwards. */
  pull(): Promise<void> { return this.puller.pull(); }
}
