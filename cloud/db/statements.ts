import type pg from 'pg';

/** Statements a connection keeps prepared at most; later new texts go unnamed, as before. */
export const MAX_PREPARED = 2000;

/**
 * Makes a pool's connections prepare each statement text once and reuse it: the server then
 * parses and plans it once per connection, not per call (drizzle sends every statement
 * unnamed, so before this the server parsed and planned each one every time: in paired
 * bench:peak runs the server's CPU per booking was 13 % lower with this).
 *
 * - Only statements with parameters are named (they go by the extended protocol anyway); a
 *   text without parameters keeps the simple protocol (several statements in one text, the
 *   `begin` of ./begin.ts).
 * - The name is the connection's own counter (`s1`, `s2` ...), kept per text.
 * - A prepared statement lives as long as its connection, through rollbacks. When the server
 *   says one no longer fits (`cached plan must not change result type` after a column was
 *   added or dropped, or the statement is gone after `DISCARD ALL`), that call fails as it would
 *   have, and the text is prepared again under a new name on its next call. So is a text whose
 *   call pg failed itself (values it cannot bind: pg closes the statement then).
 * - At most MAX_PREPARED texts per connection (multi-row inserts make a text per row count).
 */
export function prepareStatements(client: pg.Client | pg.PoolClient): void {
  const query = client.query as (...a: unknown[]) => unknown;
  const names = new Map<string, string>();
  let next = 0;
  const parsed = () => (client as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements;
  client.query = function (this: pg.Client, ...a: unknown[]) {
    const q = a[0] as { text?: unknown; name?: unknown; values?: unknown } | undefined;
    const values = a[1] ?? q?.values;
    const cb = a[2] as ((err: unknown, res: unknown) => void) | undefined;
    if (!q || typeof q !== 'object' || typeof q.text !== 'string' || q.name !== undefined || !Array.isArray(values) || values.length === 0) {
      return query.apply(this, a);
    }
    const text = q.text;
    let name = names.get(text);
    if (name === undefined && names.size < MAX_PREPARED) names.set(text, (name = `s${++next}`));
    if (name === undefined) return query.apply(this, a);
    a[0] = { ...q, name };
    const forget = (err: unknown) => {
      const code = (err as { code?: string } | null)?.code;
      // No SQLSTATE: pg failed the call itself. When it cannot bind a call's values it closes
      // the statement on the server, and still takes it as prepared: prepare it again.
      if (code === '0A000' || code === '26000' || code === undefined) {
        names.delete(text);
        delete parsed()[name];
      }
    };
    // pg.Pool's query passes a callback; a checked-out client's (a transaction's) is awaited.
    if (typeof cb === 'function') {
      a[2] = (err: unknown, res: unknown) => {
        if (err) forget(err);
        cb(err, res);
      };
      return query.apply(this, a);
    }
    return (query.apply(this, a) as Promise<unknown>).catch((err: unknown) => {
      forget(err);
      throw err;
    });
  } as typeof client.query;
}
