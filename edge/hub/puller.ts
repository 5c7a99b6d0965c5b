import { deviceAuthHeader, type DeviceCredential } from '../../shared/auth/device.ts';
import { SingleFlight } from '../../shared/sync/single-flight.ts';
import { z } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import { changesChecksum } from '../../shared/sync/checksum.ts';
import type { HubStore } from './store.ts';

/**
 * HQ's batch envelope, checked strictly; the changes only for what the hub needs (seq and
 * kind). Their bodies are stored as sent, so gates newer than the hub still get all of it.
 */
const hqBatch = z.object({
  log: z.string().min(1).max(64),
  reset: z.boolean().optional(),
  since: z.number().int().nonnegative(),
  next: z.number().int().nonnegative(),
  more: z.boolean(),
  serverTime: z.number().int(),
  changes: z.array(z.looseObject({ seq: z.number().int().positive(), kind: z.string().min(1).max(32) })),
  checksum: z.string(),
  /** The site's credential key: the hub hands it to its gates with each page, as HQ does. */
  credentialKey: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});

const EXPIRED_GRACE_S = 86_400;
const FETCH_TIMEOUT_MS = 30_000;

/**
 * Keeps the site's copy of HQ's change log: pulls `since=<checkpoint>` page by page, checks
 * each page's checksum, stores it with its checkpoint in one transaction. Single-flight, like
 * the gate's downlink; measures the offset to HQ's clock on every answer.
 */
export class Puller {
  private readonly flight = new SingleFlight(() => this.pullAll(), () => this.stopped);
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private abort: AbortController | undefined;
  /** When (our clock) HQ was last asked for a page that turned out to be the end of its log. */
  caughtUpAt: number | undefined;
  lastError: string | undefined;
  lastPullAt: number | undefined;

  constructor(private readonly opts: {
    store: HubStore; cloudUrl: string; site: string; intervalMs: number; pageSize: number; log: Logger;
    now: () => number; fetch?: typeof fetch;
    credential?: DeviceCredential;
    /** The copy moved on (new changes, or a reset): ring the LAN doorbell. */
    onAdvanced: () => void;
  }) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.pull(), this.opts.intervalMs);
    void this.pull();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.abort?.abort(new Error('stopped'));
    await this.flight.settled();
  }

  /** HQ's clock minus ours, as last measured (0 before the first answer). */
  get clockOffset(): number {
    return Number(this.opts.store.meta('clock_offset') ?? 0);
  }

  /** Single-flight: a pull asked for while one runs makes it run once more afterwards. */
  pull(): Promise<void> {
    return this.flight.run();
  }

  /**
   * One GET, abortable by stop() at any point. The abort is raced explicitly: a fetch whose
   * body was still arriving when aborted has been seen never to settle (Node 20's undici),
   * which would hang stop().
   */
  private get headers(): Record<string, string> {
    const c = this.opts.credential;
    return c ? { authorization: deviceAuthHeader(c.username, c.token) } : {};
  }

  private async fetchJson(doFetch: typeof fetch, url: string): Promise<{ changes?: unknown[] }> {
    const abort = new AbortController();
    this.abort = abort;
    const timer = setTimeout(() => abort.abort(new Error('HQ did not answer in time')), FETCH_TIMEOUT_MS);
    const aborted = new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason as Error), { once: true }));
    aborted.catch(() => undefined);
    try {
      const res = await Promise.race([doFetch(url, { signal: abort.signal, headers: this.headers }), aborted]);
      if (!res.ok) throw new Error(`HTTP ${res.status} from HQ's change log`);
      return (await Promise.race([res.json(), aborted])) as { changes?: unknown[] };
    } finally {
      clearTimeout(timer);
      this.abort = undefined;
    }
  }

  private async pullAll(): Promise<void> {
    const { store, cloudUrl, site, log } = this.opts;
    const doFetch = this.opts.fetch ?? fetch;
    let advanced = false;
    try {
      for (;;) {
        const { log: logId, checkpoint: since } = store.changeLog();
        const url = `${cloudUrl}/api/v1/sync/changes?site=${encodeURIComponent(site)}&since=${since}&limit=${this.opts.pageSize}&log=${encodeURIComponent(logId ?? '')}`;
        const t0 = this.opts.now();
        const raw = await this.fetchJson(doFetch, url);
        const t1 = this.opts.now();
        const batch = hqBatch.parse(raw);
        if (batch.credentialKey && batch.credentialKey !== store.meta('credential_key')) store.setMeta('credential_key', batch.credentialKey);
        if (batch.since !== since) throw new Error(`HQ answered since=${batch.since}, asked ${since}`);
        if (batch.checksum !== changesChecksum(raw.changes ?? [])) throw new Error('change batch failed its checksum; not stored');
        // Offset to HQ's clock, assuming the answer was made halfway through the round trip.
        const offset = Math.round(batch.serverTime - (t0 + t1) / 2);
        store.setMeta('clock_offset', String(offset));
        if (batch.reset) {
          log.warn({ since, log: batch.log }, 'HQ says start over: dropping the change-log copy');
          store.resetChanges(batch.log);
          advanced = true;
          continue;
        }
        if (batch.next < since || batch.changes.some((c) => c.seq <= since || c.seq > batch.next)) throw new Error('change batch out of its range; not stored');
        const bodies = (raw.changes ?? []) as { seq: number; kind: string }[];
        store.applyChanges({ log: batch.log, next: batch.next, changes: bodies.map((b) => ({ seq: b.seq, kind: b.kind, body: b })) }, (t1 + offset) / 1000 - EXPIRED_GRACE_S);
        if (batch.changes.length || batch.log !== logId) advanced = true;
        this.lastPullAt = t1;
        this.lastError = undefined;
        if (batch.changes.length) log.debug(() => ({ stored: batch.changes.length, checkpoint: batch.next }), 'changes stored');
        if (!batch.more) {
          this.caughtUpAt = t0;
          break;
        }
        if (this.stopped) break;
      }
    } catch (err) {
      const message = this.stopped ? 'stopped' : (err as Error).message;
      if (this.lastError !== message && !this.stopped) log.warn({ err: message }, 'pull from HQ failed; will retry');
      this.lastError = message;
    }
    if (advanced && !this.stopped) this.opts.onAdvanced();
  }
}
