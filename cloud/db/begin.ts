import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';

/** Statements to send with the next `begin` of this async context, and whether they went. */
interface WithBegin { text: string; sent: boolean }
const pending = new AsyncLocalStorage<WithBegin>();

/**
 * Runs `fn` (which opens one transaction) with `text` sent in the same round trip as its
 * `begin` on a Postgres server: drizzle sends `begin` alone, as a simple query, and on this
 * 2-core VM every round trip costs ~150-300 µs of CPU across HQ and the server (bench:peak's
 * profile: HQ's largest item was writing statements to the socket). Answers whether the text
 * went with the `begin`; when it did not (PGlite, whose queries are one statement each), the
 * caller sends it itself as the transaction's first statement.
 */
export async function withBegin<T>(text: string, fn: (sent: () => boolean) => Promise<T>): Promise<T> {
  const state: WithBegin = { text, sent: false };
  return pending.run(state, () => fn(() => state.sent));
}

/**
 * Makes a pool's connections send withBegin's text with a `begin` (each connection once, when
 * the pool makes it). Only a bare `begin` without parameters is touched: it goes by pg's simple
 * protocol, where several statements in one text are allowed; its result is not read.
 */
export function foldIntoBegin(client: pg.Client | pg.PoolClient): void {
  const query = client.query as (...a: unknown[]) => unknown;
  folding.add(client);
  client.query = function (this: pg.Client, ...a: unknown[]) {
    const q = a[0] as { text?: unknown } | string;
    const text = typeof q === 'string' ? q : q?.text;
    if (committed.has(this)) {
      // A statement went with its transaction's commit (sendWithCommit): drizzle's own `commit`
      // is answered here; anything else would run outside the transaction its caller meant.
      committed.delete(this);
      if (text === 'commit') return Promise.resolve({ command: 'COMMIT', rowCount: null, rows: [], fields: [] });
      if (text !== 'rollback') return Promise.reject(new Error(`a statement after its transaction's commit went with an earlier one: ${String(text).slice(0, 80)}`));
    }
    const state = text === 'begin' && (a[1] === undefined || (Array.isArray(a[1]) && a[1].length === 0)) ? pending.getStore() : undefined;
    if (state && !state.sent) {
      state.sent = true;
      a[0] = typeof q === 'string' ? `begin; ${state.text}` : { ...q, text: `begin; ${state.text}` };
    }
    return query.apply(this, a);
  } as typeof client.query;
}

/** Connections set up by foldIntoBegin: a statement there may carry its transaction's commit. */
const folding = new WeakSet<object>();
/** Connections whose transaction sendWithCommit has committed: the `commit` drizzle sends next is answered without the server. */
const committed = new WeakSet<object>();

/** The connection a drizzle transaction on a Postgres server runs on (drizzle keeps it as `session.client`). */
const clientOf = (tx: object): pg.PoolClient | undefined => (tx as { session?: { client?: pg.PoolClient } }).session?.client;

/**
 * Whether `tx` can send a statement with its commit (sendWithCommit): a Postgres server's
 * transaction, not PGlite's, and not a savepoint inside one (drizzle's `nestedIndex`), whose
 * `commit` would end the transaction around it.
 */
export const commitsWith = (tx: object): boolean => {
  const c = clientOf(tx);
  return c !== undefined && folding.has(c) && !((tx as { nestedIndex?: number }).nestedIndex! > 0);
};

/**
 * Sends a transaction's last statement and its `commit` in one round trip (by the simple
 * protocol: `text(literal)` is given pg's literal quoting for its values). Rows a sale's buyers
 * all queue on (a channel's quota for the day, cloud/capacity/places.ts) are then held through
 * the statement and the commit only, not also through a round trip to HQ and back, which at
 * peak waits behind everything else HQ's one thread has to do (bench:peak). The caller vouches
 * that nothing follows in the transaction: the `commit` drizzle sends after its callback is
 * answered without the server, and any other statement on the connection fails.
 * Answers the results of `text` (the last, the commit's, dropped). When it fails (an error the
 * statement raised, or the commit's), the connection is left in a fresh empty transaction, as
 * a failed statement leaves drizzle's: the caller may still read in it (for its answer), and
 * drizzle's `rollback` ends it.
 */
export async function sendWithCommit(tx: object, text: (literal: (v: string) => string) => string): Promise<pg.QueryResult[]> {
  const c = clientOf(tx);
  if (!c || !commitsWith(tx)) throw new Error('sendWithCommit: not a Postgres server transaction (or a savepoint in one)');
  let out: pg.QueryResult | pg.QueryResult[];
  try {
    out = await c.query(`${text((v) => c.escapeLiteral(v))}; commit`) as unknown as pg.QueryResult | pg.QueryResult[];
  } catch (err) {
    await c.query('rollback; begin').catch(() => undefined);
    throw err;
  }
  committed.add(c);
  return Array.isArray(out) ? out.slice(0, -1) : [];
}
