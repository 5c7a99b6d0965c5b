import { deviceAuthHeader, type DeviceCredential } from '../../../shared/auth/device.ts';
import type { IssuerKey } from '../../../shared/code/keys.ts';
import { delegatedKey, hubKit, journalAck, type HubKit } from '../../../shared/hub/journal.ts';
import type { Logger } from '../../../shared/log/logger.ts';
import { SingleFlight } from '../../../shared/sync/single-flight.ts';
import type { HubStore } from '../store.ts';
import type { SaleBook } from './book.ts';
import type { AnchorCopy } from '../anchors.ts';
import type { LeaseBook, LeasePolicy } from './leases.ts';
import { leaseAnswer } from '../../../shared/hub/lease.ts';
import { businessDay } from '../../../shared/time/zone.ts';
import { publicKeyHex } from './key.ts';

/**
 * How long a call to HQ may take: HQ's answer (a batch of 50 sales is a few seconds on a busy
 * HQ) plus the body at 64 kbit/s, the worst ADSL uplink we plan for. A call that outlasts it is
 * given up and the pass tried again (every call is idempotent): a request lost in a dropped
 * line, or on a connection HQ closed as it was sent, would otherwise hold every upload behind
 * it. It was a flat 30 s; a site's sales then waited up to 30 s after the line came back.
 */
const ANSWER_MS = 10_000;
const WORST_UPLINK_KBPS = 64;
/** Entries per upload: a batch of 50 window sales is ~60 KB of JSON, seconds on 512 kbit/s. */
const BATCH = 50;

/**
 * The hub's window business with HQ over the WAN: fetches the kit (types, prices, staff),
 * has its signing key delegated (and renewed), and uploads the sale journal until HQ holds
 * every entry. Nothing at the site waits for it: a window sells from what the last pass
 * brought, and a pass that fails (line down) is tried again on the next tick. The journal in
 * hub.sqlite is the outbox: an entry leaves it only when HQ answers that it holds it.
 */
export class WindowUplink {
  private readonly flight = new SingleFlight(() => this.pass(), () => this.stopped);
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private abort: AbortController | undefined;
  private kitCache: HubKit | undefined;
  lastError: string | undefined;
  lastUploadAt: number | undefined;
  uploads = 0;

  constructor(private readonly opts: {
    store: HubStore; book: SaleBook; key: IssuerKey; cloudUrl: string; site: string; intervalMs: number; kitEveryMs: number;
    leases?: { book: LeaseBook; policy: LeasePolicy };
    anchors?: AnchorCopy;
    /** Other copies kept from HQ (the site's orders for the window's list), fetched after the upload. */
    pulls?: ((get: (path: string) => Promise<unknown>) => Promise<void>)[];
    log: Logger; now: () => number; fetch: typeof fetch; credential?: DeviceCredential;
  }) {
    const saved = opts.store.meta('window_kit');
    if (saved) this.kitCache = hubKit.parse(JSON.parse(saved));
  }

  get kit(): HubKit | undefined { return this.kitCache; }

  /** HQ's delegation of this hub's key, as last answered. */
  get delegation(): { keyId: string; notAfter: number } | undefined {
    const d = this.opts.store.meta('window_delegation');
    return d ? JSON.parse(d) as { keyId: string; notAfter: number } : undefined;
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.run(), this.opts.intervalMs);
    void this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.abort?.abort(new Error('stopped'));
    await this.flight.settled();
  }

  run(): Promise<void> {
    return this.flight.run();
  }

  private async pass(): Promise<void> {
    const { store, now, log } = this.opts;
    try {
      const fetchedAt = Number(store.meta('window_kit_at') ?? 0);
      if (!this.kitCache || now() - fetchedAt >= this.opts.kitEveryMs) {
        const kit = hubKit.parse(await this.call('GET', '/kit'));
        store.setMeta('window_kit', JSON.stringify(kit));
        store.setMeta('window_kit_at', String(now()));
        this.kitCache = kit;
      }
      await this.exchangeLeases();
      const d = this.delegation;
      const askedAt = Number(store.meta('window_delegation_at') ?? 0);
      // Asked at each kit refresh at most: HQ renews the delegation, at most hourly.
      if (!d || d.keyId !== this.opts.key.keyId || now() - askedAt >= this.opts.kitEveryMs) {
        const got = delegatedKey.parse(await this.call('POST', '/key', { keyId: this.opts.key.keyId, publicKey: publicKeyHex(this.opts.key) }));
        store.setMeta('window_delegation', JSON.stringify(got));
        store.setMeta('window_delegation_at', String(now()));
      }
      await this.upload();
      await this.opts.anchors?.pull((path) => this.call('GET', path));
      for (const pull of this.opts.pulls ?? []) await pull((path) => this.call('GET', path));
      this.lastError = undefined;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastError) log.warn({ err: message }, 'window sync with HQ failed; trying again');
      this.lastError = message;
    }
  }

  /** Tops up the capacity leases, gives back what is not needed (shared/hub/lease.ts). */
  private async exchangeLeases(): Promise<void> {
    const { leases, now } = this.opts;
    const kit = this.kitCache;
    if (!leases || !kit) return;
    const asks = leases.book.asks(kit, businessDay(now(), kit.timeZone), leases.policy);
    for (let i = 0; i < asks.length; i += 500) {
      const answer = leaseAnswer.parse(await this.call('POST', '/leases', { leases: asks.slice(i, i + 500) }));
      leases.book.apply(answer.leases);
    }
  }

  private async upload(): Promise<void> {
    const { book, now, log } = this.opts;
    // Refused entries stay (and are shown); the others go on. A refused entry is offered again
    // with each batch that has room, in case HQ was fixed meanwhile (a seller created).
    for (let last = 0; ;) {
      const entries = book.pending(BATCH + 200).filter((e) => e.seq > last).slice(0, BATCH);
      if (entries.length === 0) return;
      const ack = journalAck.parse(await this.call('POST', '/journal', { entries }));
      this.uploads++;
      book.taken(ack.taken, now());
      if (ack.refused.length) {
        book.refused(ack.refused);
        log.error({ refused: ack.refused }, 'HQ refused journal entries');
      }
      this.lastUploadAt = now();
      last = entries[entries.length - 1]!.seq;
    }
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const [p, q] = path.split('?');
    path = p!;
    const extra = q ? `&${q}` : '';
    const abort = new AbortController();
    this.abort = abort;
    const json = body === undefined ? undefined : JSON.stringify(body);
    // kbit/s is bits per millisecond.
    const timeoutMs = ANSWER_MS + Math.ceil((Buffer.byteLength(json ?? '') * 8) / WORST_UPLINK_KBPS);
    const timer = setTimeout(() => abort.abort(new Error(`HQ did not answer ${method} ${path} in ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    const aborted = new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason as Error), { once: true }));
    aborted.catch(() => undefined);
    const c = this.opts.credential;
    try {
      const res = await Promise.race([this.opts.fetch(`${this.opts.cloudUrl}/api/v1/sync/hub${path}?site=${encodeURIComponent(this.opts.site)}${extra}`, {
        method, signal: abort.signal,
        headers: { ...(c ? { authorization: deviceAuthHeader(c.username, c.token) } : {}), ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: json,
      }), aborted]);
      const answer = await Promise.race([res.json().catch(() => ({})), aborted]) as { error?: { code?: string; message?: string } };
      if (!res.ok) throw new Error(`HTTP ${res.status} from HQ ${path}: ${answer.error?.code ?? ''} ${answer.error?.message ?? ''}`.trim());
      return answer;
    } finally {
      clearTimeout(timer);
      this.abort = undefined;
    }
  }
}
