import { z } from 'zod';
import { deviceAuthHeader, type DeviceCredential } from '../../shared/auth/device.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { ChangePuller, fetchPages } from '../../shared/sync/puller.ts';
import type { HubStore } from './store.ts';

/** The hub reads of each change only what it needs (seq and kind); bodies are stored as sent, so gates newer than the hub still get all of it. */
const storedChange = z.looseObject({ seq: z.number().int().positive(), kind: z.string().min(1).max(32) });

const EXPIRED_GRACE_S = 86_400;

/**
 * The hub's side of the change-log pull (shared/sync/puller.ts does the pulling): it keeps the
 * site's copy of HQ's log, every page checked (checksum required: it serves them to gates)
 * and stored with its checkpoint in one transaction, and the LAN doorbell rings once the copy
 * moved on.
 */
export class Puller {
  private readonly puller: ChangePuller;

  constructor(private readonly opts: {
    store: HubStore; cloudUrl: string; site: string; intervalMs: number; pageSize: number; log: Logger;
    now: () => number; fetch?: typeof fetch;
    credential?: DeviceCredential;
    /** The copy moved on (new changes, or a reset): ring the LAN doorbell. */
    onAdvanced: () => void;
  }) {
    const { store, credential } = opts;
    const headers = (): Record<string, string> => (credential ? { authorization: deviceAuthHeader(credential.username, credential.token) } : {});
    this.puller = new ChangePuller({
      site: opts.site, intervalMs: opts.intervalMs, pageSize: opts.pageSize, log: opts.log, now: opts.now, requireChecksum: true, timeoutMs: 30_000,
      get: fetchPages(opts.cloudUrl, opts.fetch ?? fetch, headers),
      onAdvanced: opts.onAdvanced,
      target: {
        position: () => {
          const { log, checkpoint } = store.changeLog();
          return { since: checkpoint, log: log ?? '' };
        },
        reset: (log) => store.resetChanges(log),
        clockOffset: (ms) => store.setMeta('clock_offset', String(ms)),
        apply: (page) => {
          if (!page.log) throw new Error('change page without its log id; not stored');
          if (page.credentialKey && page.credentialKey !== store.meta('credential_key')) store.setMeta('credential_key', page.credentialKey);
          const changes = z.array(storedChange).parse(page.changes);
          const horizon = (opts.now() + this.clockOffset) / 1000 - EXPIRED_GRACE_S;
          store.applyChanges({ log: page.log, next: page.next, changes: changes.map((c) => ({ seq: c.seq, kind: c.kind, body: c })) }, horizon);
        },
      },
    });
  }

  get lastError(): string | undefined { return this.puller.lastError; }
  get lastPullAt(): number | undefined { return this.puller.lastPullAt; }
  /** When (our clock) HQ was last asked for a page that turned out to be the end of its log. */
  get caughtUpAt(): number | undefined { return this.puller.caughtUpAt; }

  /** HQ's clock minus ours, as last measured (0 before the first answer). */
  get clockOffset(): number {
    return Number(this.opts.store.meta('clock_offset') ?? 0);
  }

  start(): void { this.puller.start(); }
  stop(): Promise<void> { return this.puller.stop(); }
  /** Single-flight: a pull asked for while one runs makes it run once more afterwards. */
  pull(): Promise<void> { return this.puller.pull(); }
}
