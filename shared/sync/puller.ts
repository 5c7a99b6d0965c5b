import { z } from 'zod';
import type { Logger } from '../log/logger.ts';
import { changesChecksum } from './checksum.ts';
import { SingleFlight } from './single-flight.ts';

/**
 * The envelope of a change-log page as every puller reads it. The changes stay unknown here:
 * each agent reads the kinds it uses (a gate strictly, a kiosk a few kinds, a hub stores them
 * as sent), so a kind newer than the agent never stops its sync.
 */
export const pageEnvelope = z.object({
  log: z.string().max(64).optional(),
  reset: z.boolean().optional(),
  since: z.number().int().nonnegative(),
  next: z.number().int().nonnegative(),
  more: z.boolean(),
  serverTime: z.number().int(),
  changes: z.array(z.unknown()),
  checksum: z.string().optional(),
  credentialKey: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** A site hub's own revocations, outside the log's numbering (shared/sync/messages.ts changeBatch). */
  local: z.array(z.unknown()).optional(),
});
export type PulledPage = z.infer<typeof pageEnvelope>;

/** Where the device stands, and what it does with a page: the agent's side of the pull. */
export interface PullTarget {
  /** The checkpoint held and the change log it belongs to ('' before the first page). */
  position(): { since: number; log: string };
  /** Applies one checked page with its checkpoint `page.next`, in one transaction. */
  apply(page: PulledPage): void | Promise<void>;
  /** HQ says the checkpoint means nothing in its log: drop the cache, keep the log id. */
  reset(log: string): void;
  /** HQ's clock minus ours, measured on this answer. */
  clockOffset(ms: number): void;
}

/** GET one page (a path under the server); resolves to the parsed JSON body. */
export type PageGetter = (path: string, signal: AbortSignal) => Promise<unknown>;

export interface PullerOptions {
  site: string;
  target: PullTarget;
  get: PageGetter;
  intervalMs: number;
  pageSize: number;
  log: Logger;
  now: () => number;
  /** Venue scope sent with each pull ("main,water"); absent: the whole site. */
  venues?: () => string;
  /** The checksum must be there (a hub keeps pages for others: it never takes one unchecked). */
  requireChecksum?: boolean;
  /** Before each round of pages (the kiosk refreshes its list of ticket types). */
  beforeRound?: () => Promise<void>;
  /** The copy moved on (new changes, a new log or a reset) during a round. */
  onAdvanced?: () => void;
  /** A page of a round is abandoned after this long. */
  timeoutMs?: number;
}

/**
 * The one change-log puller of every agent (gate, kiosk, hub): pulls `since=<checkpoint>`
 * page by page, checks each page (the range it answers, its checksum), applies it with its
 * checkpoint, follows `reset`, learns the offset to HQ's clock, and resumes from the stored
 * checkpoint after any drop. Single-flight: a doorbell during a pull makes one more round.
 */
export class ChangePuller {
  private readonly flight = new SingleFlight(() => this.round(), () => this.stopped);
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private abort = new AbortController();
  lastError: string | undefined;
  /** When (our clock) the last page was applied. */
  lastPullAt: number | undefined;
  /** When (our clock) HQ was last asked for a page that turned out to be the end of its log. */
  caughtUpAt: number | undefined;

  constructor(private readonly opts: PullerOptions) {}

  start(): void {
    this.stopped = false;
    this.abort = new AbortController();
    this.timer = setInterval(() => void this.pull(), this.opts.intervalMs);
    void this.pull();
  }

  /** Ends a pull in flight too: a pull stalled on a dead line must not hold a shutdown. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.abort.abort(new Error('stopped'));
    await this.flight.settled();
  }

  /** Single-flight: asked while a pull runs, it runs once more afterwards. */
  pull(): Promise<void> {
    return this.flight.run();
  }

  private path(since: number, log: string): string {
    const venues = this.opts.venues?.() ?? '';
    return `/api/v1/sync/changes?site=${encodeURIComponent(this.opts.site)}&since=${since}&limit=${this.opts.pageSize}&log=${encodeURIComponent(log)}${venues ? `&venues=${venues}` : ''}`;
  }

  /** One GET under a deadline, raced against it: an abort mid-body has been seen to leave undici's json() hanging. */
  private async fetchPage(path: string): Promise<unknown> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs ?? 15_000), this.abort.signal]);
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(signal.reason instanceof Error ? signal.reason : new Error('pull aborted'));
      if (signal.aborted) fail();
      signal.addEventListener('abort', fail, { once: true });
    });
    aborted.catch(() => undefined);
    return Promise.race([this.opts.get(path, signal), aborted]);
  }

  private async round(): Promise<void> {
    const { target, log } = this.opts;
    let advanced = false;
    try {
      await this.opts.beforeRound?.();
      for (;;) {
        const { since, log: logId } = target.position();
        const t0 = this.opts.now();
        const raw = await this.fetchPage(this.path(since, logId));
        const t1 = this.opts.now();
        const page = pageEnvelope.parse(raw);
        if (page.since !== since) throw new Error(`change log answered since=${page.since}, asked ${since}`);
        if (page.checksum === undefined ? this.opts.requireChecksum : page.checksum !== changesChecksum(page.changes)) {
          throw new Error('change page failed its checksum; not applied');
        }
        // Assuming the answer was made halfway through the round trip.
        target.clockOffset(Math.round(page.serverTime - (t0 + t1) / 2));
        if (page.reset) {
          log.warn({ since, log: page.log }, 'HQ says start over: dropping the cache');
          target.reset(page.log ?? '');
          advanced = true;
          continue;
        }
        if (page.next < since || page.changes.some((c) => outside((c as { seq?: unknown }).seq, since, page.next))) {
          throw new Error('change page out of its range; not applied');
        }
        await target.apply(page);
        if (page.changes.length || (page.log !== undefined && page.log !== logId)) advanced = true;
        this.lastPullAt = t1;
        this.lastError = undefined;
        if (page.changes.length) log.debug(() => ({ applied: page.changes.length, checkpoint: page.next }), 'changes applied');
        if (!page.more) {
          this.caughtUpAt = t0;
          break;
        }
        if (this.stopped) break;
      }
    } catch (err) {
      const message = this.stopped ? 'stopped' : (err as Error).message;
      if (this.lastError !== message && !this.stopped) log.warn({ err: message }, 'pull failed; will retry');
      this.lastError = message;
    }
    if (advanced && !this.stopped) this.opts.onAdvanced?.();
  }
}

const outside = (seq: unknown, since: number, next: number) => typeof seq === 'number' && (seq <= since || seq > next);

/** A page getter over fetch, with the device's Authorization header. */
export function fetchPages(baseUrl: string, doFetch: typeof fetch, headers: () => Record<string, string>): PageGetter {
  return async (path, signal) => {
    const res = await doFetch(baseUrl + path, { signal, headers: headers() });
    if (!res.ok) throw new Error(`HTTP ${res.status} from the change log`);
    return res.json();
  };
}
