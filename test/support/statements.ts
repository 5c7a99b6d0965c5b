import pg from 'pg';

/**
 * Work HQ does at most once a second per node or by a timer (a channel's key, its day's
 * expired holds, the OTA notices' poll, the calendar pusher's look for channels with a webhook,
 * the pool's health check): not a sale's statements.
 */
export const PERIODIC = [/^select "id", "code", "name", "kind", "site", "key_hash"/, /^update "bookings" set "state" = \$1 where \("bookings"."channel_id"/, /"channel_notices"/, /"channel_webhooks"/, /^select 1$/];

export const isPeriodic = (text: string) => PERIODIC.some((p) => p.test(text));

/**
 * Every statement any node-postgres client of this process sends, its text with runs of
 * whitespace made one space (each one a round trip to the server), until `stop()`.
 */
export function recordStatements(): { seen: string[]; stop(): void } {
  const seen: string[] = [];
  const query = pg.Client.prototype.query as (...a: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
    const q = a[0] as string | { text?: string };
    seen.push((typeof q === 'string' ? q : q?.text ?? '?').replace(/\s+/g, ' '));
    return query.apply(this, a);
  } as typeof pg.Client.prototype.query;
  return { seen, stop: () => { pg.Client.prototype.query = query as typeof pg.Client.prototype.query; } };
}
