import { z } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import { changesChecksum } from '../../shared/sync/checksum.ts';
import { SingleFlight } from '../../shared/sync/single-flight.ts';
import { HqRefused, type HqClient } from './hq.ts';
import type { KioskStore } from './store.ts';

/**
 * The envelope of a change-log page. Changes are read one by one by the store: a kiosk takes
 * `booking`, `template` and `key` changes and steps over every other kind, including kinds
 * newer than this program, which the shared discriminated union would refuse.
 */
const page = z.object({
  log: z.string().max(64).optional(),
  reset: z.boolean().optional(),
  since: z.number().int().nonnegative(),
  next: z.number().int().nonnegative(),
  more: z.boolean(),
  serverTime: z.number().int(),
  changes: z.array(z.unknown()),
  checksum: z.string().optional(),
});

/**
 * Pulls the site's change log into the kiosk's cache, resumably (checkpoint stored with each
 * applied page), and refreshes the list of ticket types the kiosk prints names for and sells.
 */
export class KioskDownlink {
  private readonly flight = new SingleFlight(() => this.pullAll(), () => this.stopped);
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  lastError: string | undefined;
  lastPullAt: number | undefined;

  constructor(private readonly opts: { store: KioskStore; hq: HqClient; site: string; intervalMs: number; log: Logger; now: () => number; pageSize?: number }) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.pull(), this.opts.intervalMs);
    void this.pull();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.flight.settled();
  }

  /** Single-flight: asked while a pull runs, it runs once more afterwards. */
  pull(): Promise<void> {
    return this.flight.run();
  }

  private async pullAll(): Promise<void> {
    const { store, hq, site, log } = this.opts;
    try {
      try {
        const types = await hq.call<{ types: { typeId: number; code: string; name: string; priceFen: number; persons: number; entries: number; validityDays: number }[] }>('GET', '/api/v1/sync/kiosk/types');
        store.setTypes(types.body.types);
      } catch (err) {
        // Names and prices are a nicety for printing; the bookings below are what pickup needs.
        if (!(err instanceof HqRefused)) throw err;
        log.warn({ code: err.code }, 'HQ refused the list of ticket types');
      }
      for (;;) {
        const since = store.checkpoint();
        const logId = store.meta('change_log') ?? '';
        const path = `/api/v1/sync/changes?site=${encodeURIComponent(site)}&since=${since}&limit=${this.opts.pageSize ?? 1000}&log=${encodeURIComponent(logId)}`;
        const t0 = this.opts.now();
        const raw = (await hq.call<unknown>('GET', path, undefined, 15_000)).body;
        const batch = page.parse(raw);
        const t1 = this.opts.now();
        if (batch.since !== since) throw new Error(`change log answered since=${batch.since}, asked ${since}`);
        if (batch.checksum !== undefined && batch.checksum !== changesChecksum(batch.changes)) throw new Error('change page failed its checksum; not applied');
        if (batch.reset) {
          log.warn({ since, log: batch.log }, 'HQ says start over: dropping the booking cache');
          store.resetCache(batch.log ?? '');
          continue;
        }
        if (batch.log && batch.log !== logId) store.setMeta('change_log', batch.log);
        const applied = store.applyBatch(batch);
        store.setMeta('clock_offset', String(Math.round(batch.serverTime - (t0 + t1) / 2)));
        this.lastPullAt = t1;
        this.lastError = undefined;
        if (applied.bookings || applied.templates) log.debug(() => ({ ...applied, checkpoint: batch.next }), 'changes applied');
        if (!batch.more || this.stopped) break;
      }
    } catch (err) {
      const message = (err as Error).message;
      if (this.lastError !== message) log.warn({ err: message }, 'pull failed; will retry');
      this.lastError = message;
    }
  }
}
