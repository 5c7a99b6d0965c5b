import pg from 'pg';
import type { Logger } from '../../shared/log/logger.ts';

/**
 * libpq's multi-host connection string, as `pg_autoctl show uri` prints it:
 *   postgres://user@db1:5432,db2:5432/hq?target_session_attrs=read-write
 * node-postgres takes one host only, so HQ resolves which host to use itself, with libpq's
 * rule: try the hosts in order and take the first whose session is read-write (after a
 * failover that is the new primary; a standby, or a primary pg_auto_failover keeps read-only
 * while it waits out the old one's demotion, answers `transaction_read_only = on`).
 */
export interface PgHosts {
  hosts: { host: string; port: number }[];
  targetSessionAttrs: 'any' | 'read-write';
  /** A single-host connection string for a host of the list (options kept, multi-host ones dropped). */
  urlFor(host: { host: string; port: number }): string;
}

const URL_FORM = /^(postgres(?:ql)?:\/\/)(?:([^@/?]*)@)?([^/?]*)(\/[^?]*)?(?:\?(.*))?$/;

export function parsePgHosts(url: string): PgHosts {
  const m = URL_FORM.exec(url);
  if (!m) throw new Error('not a postgres:// URL');
  const [, scheme, userinfo, authority, path, query] = m as unknown as [string, string, string | undefined, string, string | undefined, string | undefined];
  const hosts = authority.split(',').map((h) => {
    const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(h);
    const [host, port] = v6 ? [v6[1]!, v6[2]] : (h.split(':') as [string, string | undefined]);
    if (!host) throw new Error(`empty host in ${JSON.stringify(authority)}`);
    return { host, port: port ? Number(port) : 5432 };
  });
  const params = new URLSearchParams(query ?? '');
  const attrs = params.get('target_session_attrs') ?? 'any';
  if (!['any', 'read-write', 'primary'].includes(attrs)) throw new Error(`target_session_attrs=${attrs} is not supported (any, read-write, primary)`);
  params.delete('target_session_attrs');
  // libpq's sslmode=prefer tries TLS and falls back; node-postgres cannot fall back, so it
  // would insist on TLS. pg_autoctl prints prefer by default: take it as libpq's fallback
  // lands on a server without TLS, i.e. no TLS. Say sslmode=require to insist.
  if (params.get('sslmode') === 'prefer' || params.get('sslmode') === 'allow') params.delete('sslmode');
  const rest = params.toString();
  return {
    hosts,
    targetSessionAttrs: attrs === 'any' ? 'any' : 'read-write',
    urlFor: (h) => `${scheme}${userinfo !== undefined ? `${userinfo}@` : ''}${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}${path ?? ''}${rest ? `?${rest}` : ''}`,
  };
}

/** True when the URL names several hosts or asks for a read-write session. */
export const needsHostChoice = (h: PgHosts) => h.hosts.length > 1 || h.targetSessionAttrs === 'read-write';

/** A connection failure tells nothing about which host is primary now: ask them all again. */
class PrimaryTracker {
  private current: { host: string; port: number } | undefined;
  private probing: Promise<{ host: string; port: number }> | undefined;

  constructor(private readonly hosts: PgHosts, private readonly log: Logger, private readonly timeoutMs: number) {}

  get known() { return this.current ?? this.hosts.hosts[0]!; }

  forget(why: string): void {
    if (this.current) this.log.warn({ host: `${this.current.host}:${this.current.port}`, why }, 'postgres primary lost: looking for it again');
    this.current = undefined;
  }

  resolve(): Promise<{ host: string; port: number }> {
    if (this.current) return Promise.resolve(this.current);
    this.probing ??= this.probe().finally(() => { this.probing = undefined; });
    return this.probing;
  }

  private async probe(): Promise<{ host: string; port: number }> {
    const seen: string[] = [];
    for (const h of this.hosts.hosts) {
      const client = new pg.Client({ connectionString: this.hosts.urlFor(h), connectionTimeoutMillis: this.timeoutMs });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const readOnly = this.hosts.targetSessionAttrs === 'read-write'
          && (await client.query<{ transaction_read_only: string }>('show transaction_read_only')).rows[0]?.transaction_read_only === 'on';
        if (!readOnly) {
          this.current = h;
          this.log.info({ host: `${h.host}:${h.port}` }, 'postgres primary found');
          return h;
        }
        seen.push(`${h.host}:${h.port} read-only`);
      } catch (err) {
        seen.push(`${h.host}:${h.port} ${(err as Error).message}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    throw Object.assign(new Error(`no ${this.hosts.targetSessionAttrs === 'read-write' ? 'read-write ' : ''}postgres server: ${seen.join('; ')}`), { code: 'ENOPRIMARY' });
  }
}

/** SQLSTATEs after which a connection is of no more use for writing: it is closed, not pooled again. */
const DEAD_END = new Set(['25006', '57P01', '57P02', '57P03']);

/**
 * A pg.Pool over a multi-host URL: each new connection goes to the host found read-write;
 * a connection that fails, or finds its server read-only or shutting down, is dropped and
 * the next one looks for the primary again. Requests in flight at a failover fail (HQ
 * answers 503 and clients retry with their Idempotency-Key); nothing is retried here,
 * since a write whose commit got no answer may or may not have happened.
 */
export function failoverPool(url: string, opts: { max: number; log: Logger; connectTimeoutMs?: number }): pg.Pool {
  const hosts = parsePgHosts(url);
  const tracker = new PrimaryTracker(hosts, opts.log, opts.connectTimeoutMs ?? 3000);
  class FailoverClient extends pg.Client {
    constructor(config: pg.ClientConfig) {
      super({ ...config, connectionString: hosts.urlFor(tracker.known) });
      this.on('error', (err) => tracker.forget(err.message));
    }

    // @ts-expect-error pg's overloads; the pool calls connect(callback)
    override connect(callback?: (err?: Error) => void) {
      const run = (async () => {
        const h = await tracker.resolve();
        const self = this as unknown as { host: string; port: number; connectionParameters: { host: string; port: number } };
        self.host = self.connectionParameters.host = h.host;
        self.port = self.connectionParameters.port = h.port;
        try {
          await super.connect();
        } catch (err) {
          tracker.forget((err as Error).message);
          throw err;
        }
      })();
      if (!callback) return run;
      run.then(() => callback(), callback);
    }

    // @ts-expect-error every overload of pg's query passes through
    override query(...args: unknown[]) {
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        args[args.length - 1] = (err: Error | null, res: unknown) => {
          if (err) this.check(err);
          (last as (e: Error | null, r: unknown) => void)(err, res);
        };
      }
      const out = (super.query as (...a: unknown[]) => unknown)(...args);
      if (out && typeof (out as Promise<unknown>).then === 'function') (out as Promise<unknown>).catch((err: Error) => this.check(err));
      return out;
    }

    private check(err: Error): void {
      if (!DEAD_END.has((err as { code?: string }).code ?? '')) return;
      tracker.forget(err.message);
      this.end().catch(() => undefined);
    }
  }
  const pool = new pg.Pool({
    connectionString: hosts.urlFor(hosts.hosts[0]!), max: opts.max, Client: FailoverClient as unknown as typeof pg.Client,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000, keepAlive: true,
    // A new connection checks it reached a read-write server (libpq's target_session_attrs).
    verify: hosts.targetSessionAttrs === 'read-write'
      ? (client: pg.PoolClient, done: (err?: Error) => void) => {
          client.query('show transaction_read_only').then((r) => {
            if (r.rows[0]?.transaction_read_only !== 'on') return done();
            tracker.forget('connected to a read-only server');
            done(Object.assign(new Error('connected to a read-only server'), { code: '25006' }));
          }, done);
        }
      : undefined,
  } as pg.PoolConfig);
  pool.on('error', (err) => tracker.forget(err.message));
  return pool;
}

/** HQ's pool for a server URL: a failover pool when the URL names several hosts or read-write, else a plain one. */
export function serverPool(url: string, opts: { max: number; log: Logger }): pg.Pool {
  const pool = needsHostChoice(parsePgHosts(url)) ? failoverPool(url, opts) : new pg.Pool({ connectionString: url, max: opts.max });
  // An idle connection whose server went away must not crash the process.
  pool.on('error', (err) => opts.log.warn({ err: err.message }, 'postgres connection lost'));
  return pool;
}
