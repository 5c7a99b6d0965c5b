import { deviceAuthHeader, type DeviceCredential } from '../../shared/auth/device.ts';
import { SingleFlight } from '../../shared/sync/single-flight.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { changesChecksum } from '../../shared/sync/checksum.ts';
import { changeBatch, type DesiredMode } from '../../shared/sync/messages.ts';
import type { GateStore } from './store.ts';

/**
 * Pulls the change log over HTTP, resumably: the checkpoint is stored with each applied
 * batch, so a dropped line resumes where it stopped. MQTT only rings the doorbell.
 */
export class Downlink {
  private readonly flight = new SingleFlight(() => this.pullAll(), () => this.stopped);
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  lastError: string | undefined;
  lastPullAt: number | undefined;

  constructor(private readonly opts: {
    store: GateStore; cloudUrl: string; site: string; device: string; intervalMs: number; log: Logger;
    now: () => number; fetch?: typeof fetch; pageSize?: number;
    credential?: DeviceCredential;
    /** Venue scope of the pulls (shared/sync/venues.ts); absent: the whole site. */
    venues?: readonly string[];
    /** A mode order for this device arrived in the change log. */
    onDesired?: (d: DesiredMode) => void;
  }) {}

  start(): void {
    this.stopped = false;
    // A cache pulled for other venues holds the wrong tickets: start it over.
    const scope = this.scope;
    if ((this.opts.store.meta('venues') ?? '') !== scope) {
      if (this.opts.store.checkpoint() > 0) {
        this.opts.log.warn({ from: this.opts.store.meta('venues') ?? '(whole site)', to: scope || '(whole site)' }, 'venue scope changed: fetching the cache anew');
        this.opts.store.resetCache(this.opts.store.meta('change_log') ?? '');
      }
      this.opts.store.setMeta('venues', scope);
    }
    this.abort = new AbortController();
    this.timer = setInterval(() => void this.pull(), this.opts.intervalMs);
    void this.pull();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.abort.abort();
    await this.flight.settled();
  }

  private get scope(): string {
    return this.opts.venues ? [...new Set(this.opts.venues)].sort().join(',') : '';
  }

  /** Aborted on stop(): a pull stalled on a dead line must not hold the gate's shutdown. */
  private abort = new AbortController();

  /** Single-flight: a pull asked for while one runs makes it run once more afterwards. */
  pull(): Promise<void> {
    return this.flight.run();
  }

  private async pullAll(): Promise<void> {
    const { store, cloudUrl, site } = this.opts;
    const log = this.opts.log;
    const doFetch = this.opts.fetch ?? fetch;
    try {
      for (;;) {
        const since = store.checkpoint();
        const logId = store.meta('change_log') ?? '';
        const url = `${cloudUrl}/api/v1/sync/changes?site=${encodeURIComponent(site)}&since=${since}&limit=${this.opts.pageSize ?? 1000}&log=${encodeURIComponent(logId)}${this.scope ? `&venues=${this.scope}` : ''}`;
        const t0 = this.opts.now();
        const signal = AbortSignal.any([AbortSignal.timeout(15_000), this.abort.signal]);
        const headers: Record<string, string> = this.opts.credential ? { authorization: deviceAuthHeader(this.opts.credential.username, this.opts.credential.token) } : {};
        const res = await doFetch(url, { signal, headers });
        if (!res.ok) throw new Error(`HTTP ${res.status} from change log`);
        // Reading the body is raced against the abort too: on Node 20 an abort mid-body can leave json() hanging.
        const aborted = new Promise<never>((_, reject) => {
          if (signal.aborted) reject(new Error('pull aborted'));
          signal.addEventListener('abort', () => reject(new Error('pull aborted')), { once: true });
        });
        aborted.catch(() => undefined);
        const raw = (await Promise.race([res.json(), aborted])) as { changes?: unknown[] };
        const batch = changeBatch.parse(raw);
        const t1 = this.opts.now();
        if (batch.since !== since) throw new Error(`change log answered since=${batch.since}, asked ${since}`);
        if (batch.checksum !== undefined && batch.checksum !== changesChecksum(raw.changes ?? [])) {
          throw new Error('change batch failed its checksum; not applied');
        }
        if (batch.reset) {
          log.warn({ since, log: batch.log }, 'HQ says start over: dropping the cache');
          store.resetCache(batch.log ?? '');
          continue;
        }
        if (batch.log && batch.log !== logId) store.setMeta('change_log', batch.log);
        const desired = store.applyBatch(batch, this.opts.device);
        if (desired) this.opts.onDesired?.(desired);
        // Offset to HQ's clock, assuming the answer was made halfway through the round trip.
        store.setMeta('clock_offset', String(Math.round(batch.serverTime - (t0 + t1) / 2)));
        this.lastPullAt = t1;
        this.lastError = undefined;
        if (batch.changes.length) log.debug(() => ({ applied: batch.changes.length, checkpoint: batch.next }), 'changes applied');
        if (!batch.more || this.stopped) break;
      }
    } catch (err) {
      const message = (err as Error).message;
      if (this.lastError !== message) log.warn({ err: message }, 'pull failed; will retry');
      this.lastError = message;
    }
  }
}
