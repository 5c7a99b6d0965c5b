import { deviceAuthHeader, type DeviceCredential } from '../../shared/auth/device.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { changeBatch, type DesiredMode } from '../../shared/sync/messages.ts';
import { ChangePuller, fetchPages } from '../../shared/sync/puller.ts';
import type { GateStore } from './store.ts';

/**
 * The gate's side of the change-log pull (shared/sync/puller.ts does the pulling): pages are
 * read strictly (every change kind a gate knows) and applied to its cache with the checkpoint.
 * A cache pulled for other venues holds the wrong tickets, so a changed scope starts it over.
 */
export class Downlink {
  private readonly puller: ChangePuller;

  constructor(private readonly opts: {
    store: GateStore; cloudUrl: string; site: string; device: string; intervalMs: number; log: Logger;
    now: () => number; fetch?: typeof fetch; pageSize?: number;
    credential?: DeviceCredential;
    /** Venue scope of the pulls (shared/sync/venues.ts); absent: the whole site. */
    venues?: readonly string[];
    /** A mode order for this device arrived in the change log. */
    onDesired?: (d: DesiredMode) => void;
  }) {
    const { store, credential } = opts;
    const headers = (): Record<string, string> => (credential ? { authorization: deviceAuthHeader(credential.username, credential.token) } : {});
    this.puller = new ChangePuller({
      site: opts.site, intervalMs: opts.intervalMs, pageSize: opts.pageSize ?? 1000, log: opts.log, now: opts.now,
      get: fetchPages(opts.cloudUrl, opts.fetch ?? fetch, headers),
      venues: () => this.scope,
      target: {
        position: () => ({ since: store.checkpoint(), log: store.meta('change_log') ?? '' }),
        reset: (log) => store.resetCache(log),
        clockOffset: (ms) => store.setMeta('clock_offset', String(ms)),
        apply: (page) => {
          const batch = changeBatch.parse(page);
          if (batch.log && batch.log !== (store.meta('change_log') ?? '')) store.setMeta('change_log', batch.log);
          const desired = store.applyBatch(batch, opts.device);
          if (desired) opts.onDesired?.(desired);
        },
      },
    });
  }

  get lastError(): string | undefined { return this.puller.lastError; }
  get lastPullAt(): number | undefined { return this.puller.lastPullAt; }

  start(): void {
    const { store, log } = this.opts;
    const scope = this.scope;
    if ((store.meta('venues') ?? '') !== scope) {
      if (store.checkpoint() > 0) {
        log.warn({ from: store.meta('venues') ?? '(whole site)', to: scope || '(whole site)' }, 'venue scope changed: fetching the cache anew');
        store.resetCache(store.meta('change_log') ?? '');
      }
      store.setMeta('venues', scope);
    }
    this.puller.start();
  }

  stop(): Promise<void> { return this.puller.stop(); }

  /** Single-flight: a pull asked for while one runs makes it run once more afterwards. */
  pull(): Promise<void> { return this.puller.pull(); }

  private get scope(): string {
    return this.opts.venues ? [...new Set(this.opts.venues)].sort().join(',') : '';
  }
}
