import type pg from 'pg';
import type { Logger } from '../../shared/log/logger.ts';

/**
 * Work that one HQ node at a time must do (re-publishing retained state after a takeover;
 * later webhook deliveries and scheduled reports) is held through a Postgres session-level
 * advisory lock on a connection of its own. Postgres lets go of the lock when that session
 * ends, so when the holder dies (its process killed: the socket closes at once; its machine
 * gone: after TCP keepalive gives up) or the primary fails over, another node's next try
 * takes it. The holder checks its session every `checkMs`: a lost session means a lost lease.
 *
 * Two holders can overlap for the time a partitioned holder takes to notice: duties under
 * the lease must be idempotent too, the lease only keeps them from running everywhere.
 */
export class Lease {
  private client: pg.PoolClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  held = false;

  constructor(private readonly opts: {
    /** A pool on the database every node shares; none (PGlite, one process): always held. */
    pool?: pg.Pool;
    /** The advisory lock's key: one per kind of duty. */
    key: number;
    name: string;
    log: Logger;
    retryMs?: number;
    checkMs?: number;
    onAcquire: () => Promise<void> | void;
    onLose?: () => void;
  }) {}

  async start(): Promise<void> {
    this.stopped = false;
    if (!this.opts.pool) return this.acquired();
    await this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      await client.query('select pg_advisory_unlock($1)', [this.opts.key]).catch(() => undefined);
      client.release();
    }
    this.held = false;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.attempt(), ms);
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    if (this.client) return this.check();
    let client: pg.PoolClient | undefined;
    try {
      client = await this.opts.pool!.connect();
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [this.opts.key]);
      if (!rows[0]?.ok || this.stopped) {
        client.release();
        return this.schedule(this.opts.retryMs ?? 2000);
      }
      this.client = client;
      client.on('error', (err) => this.lost(err.message));
      await this.acquired();
    } catch (err) {
      if (client && client !== this.client) client.release(err as Error);
      else if (client) this.lost((err as Error).message);
      this.schedule(this.opts.retryMs ?? 2000);
    }
  }

  private async acquired(): Promise<void> {
    this.held = true;
    this.opts.log.info({ lease: this.opts.name }, 'lease taken: this node does the once-only work');
    try {
      await this.opts.onAcquire();
    } catch (err) {
      this.opts.log.warn({ lease: this.opts.name, err: (err as Error).message }, 'lease duty failed');
    }
    if (this.opts.pool) this.schedule(this.opts.checkMs ?? 2000);
  }

  private async check(): Promise<void> {
    try {
      await this.client!.query('select 1');
      this.schedule(this.opts.checkMs ?? 2000);
    } catch (err) {
      this.lost((err as Error).message);
      this.schedule(this.opts.retryMs ?? 2000);
    }
  }

  private lost(why: string): void {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.held = false;
    client.release(new Error(why));
    this.opts.log.warn({ lease: this.opts.name, why }, 'lease lost');
    this.opts.onLose?.();
    this.schedule(this.opts.retryMs ?? 2000);
  }
}
