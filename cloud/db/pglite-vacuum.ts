import type { PGlite } from '@electric-sql/pglite';
import { silentLogger, type Logger } from '../../shared/log/logger.ts';

/** How often the dead rows are looked at (autovacuum's naptime is 60 s; HQ's queues fill faster). */
export const VACUUM_EVERY_MS = 10_000;
/** Autovacuum's default trigger: more dead rows than 50 + 20 % of the live ones. */
const THRESHOLD = 50;
const SCALE = 0.2;
/**
 * Tables with more live rows are left alone: PGlite is one backend, so a VACUUM stops every sale
 * while it runs, and a big table's (its indexes read whole) would stop them for seconds. HQ's
 * queue tables, the ones that churn, hold a few rows at a time, however many dead ones they
 * carry (those a first round reclaims once).
 */
export const VACUUM_MAX_LIVE = 100_000;

/**
 * The autovacuum PGlite does not have. PGlite runs Postgres as a single backend, without the
 * autovacuum workers a server has, so rows deleted or updated were never reclaimed: a queue table
 * that every sale fills and empties (audit_pending, change_pending) only grew, new rows never
 * reused its space (free space is recorded by VACUUM), and every scan of it read all the pages it
 * ever had (bench:peak: audit_pending 0 live rows, 16,000 dead, 6 MB after 1,000 sales, and
 * growing with every sale). Every VACUUM_EVERY_MS this vacuums the tables past autovacuum's
 * default threshold (and under VACUUM_MAX_LIVE). VACUUM removes only rows no transaction can
 * see: what is stored is the same.
 */
export function startPgliteVacuum(pg: PGlite, opts: { everyMs?: number; maxLive?: number; log?: Logger } = {}): { stop(): Promise<void> } {
  const log = opts.log ?? silentLogger;
  let running: Promise<void> | undefined;
  let stopped = false;
  const round = async () => {
    const due = await pg.query<{ name: string; dead: number }>(
      `select quote_ident(schemaname) || '.' || quote_ident(relname) as name, n_dead_tup::int as dead from pg_stat_user_tables
        where n_dead_tup > $1::int + $2::float8 * n_live_tup and n_live_tup < $3::bigint`, [THRESHOLD, SCALE, opts.maxLive ?? VACUUM_MAX_LIVE]);
    for (const { name, dead } of due.rows) {
      if (stopped) return;
      const t0 = performance.now();
      await pg.exec(`vacuum ${name}`);
      log.debug(() => ({ table: name, dead, ms: Math.round(performance.now() - t0) }), 'vacuumed');
    }
  };
  const timer = setInterval(() => {
    if (pg.closed) clearInterval(timer); // closed under it (not through stop())
    if (running || stopped || pg.closed) return;
    running = round()
      .catch((err: unknown) => log.warn({ err: String(err) }, 'vacuum failed'))
      .finally(() => { running = undefined; });
  }, opts.everyMs ?? VACUUM_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
