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
 * Makes a pool's connections send a transaction's `begin` (with withBegin's text) in the same
 * round trip as the transaction's first statement (each connection once, when the pool makes it).
 *
 * - Only a bare `begin` without parameters is touched. It is answered at once and waits for
 *   the transaction's next statement.
 * - When that statement goes by pg's extended protocol (it has parameters or a name: every
 *   statement drizzle builds with a value, ./statements.ts), the `begin` and withBegin's text go
 *   before it as statements of the same batch (Parse, Bind, Execute each, one Sync at the end,
 *   one write): one round trip per transaction less. Their answers (a row of withBegin's
 *   `select`, their command tags) are kept from the statement's result. When one of them fails,
 *   the statement fails with its error, as it would have at the `begin`.
 * - When it is a text without parameters (pg's simple protocol), it goes as before: `begin;
 *   <withBegin's text>` in one query, then the statement.
 * - A `commit` or `rollback` with nothing sent since the `begin` is answered without the server:
 *   the transaction never began there.
 */
export function foldIntoBegin(client: pg.Client | pg.PoolClient): void {
  const query = client.query as (...a: unknown[]) => unknown;
  const con = (client as unknown as { connection: Connection }).connection;
  folding.add(client);
  /** The `begin` answered here and not yet sent, with withBegin's text: the transaction's first statement takes them. */
  let opening: string[] | undefined;
  /** Statements to write before the extended-protocol statement pg is writing now (set just before it does). */
  let lead: string[] | undefined;
  client.query = function (this: pg.Client, ...a: unknown[]) {
    const q = a[0] as { text?: unknown; name?: unknown; values?: unknown; rows?: unknown; queryMode?: unknown; submit?: unknown } | string;
    const text = typeof q === 'string' ? q : q?.text;
    if (committed.has(this)) {
      // A statement went with its transaction's commit (sendWithCommit): drizzle's own `commit`
      // is answered here; anything else would run outside the transaction its caller meant.
      committed.delete(this);
      if (text === 'commit') return answered(a, 'COMMIT');
      if (text !== 'rollback') return Promise.reject(new Error(`a statement after its transaction's commit went with an earlier one: ${String(text).slice(0, 80)}`));
    }
    const params = Array.isArray(a[1]) ? a[1] : typeof q === 'object' ? q?.values : undefined;
    if (text === 'begin' && (params === undefined || (Array.isArray(params) && params.length === 0)) && opening === undefined) {
      const state = pending.getStore();
      opening = ['begin'];
      if (state && !state.sent) {
        state.sent = true;
        opening.push(state.text);
      }
      return answered(a, 'BEGIN');
    }
    if (opening !== undefined) {
      const open = opening;
      opening = undefined;
      if (text === 'commit' || text === 'rollback') return answered(a, text.toUpperCase());
      const extended = typeof q === 'object' && q !== null && typeof q.submit !== 'function' &&
        (q.name !== undefined || q.rows !== undefined || q.queryMode === 'extended' || (Array.isArray(params) && params.length > 0));
      // Only when pg writes it now (an idle connection; a queued statement would go without them).
      const idle = (this as unknown as { readyForQuery?: boolean }).readyForQuery === true && (this as unknown as { _queryQueue?: unknown[] })._queryQueue?.length === 0;
      if (extended && idle && typeof a[a.length - 1] !== 'function') {
        lead = open;
        try {
          return query.apply(this, a);
        } finally {
          lead = undefined;
        }
      }
      return (query.call(this, open.join('; ')) as Promise<unknown>).then(() => query.apply(this, a));
    }
    return query.apply(this, a);
  } as typeof client.query;
  // pg writes an extended-protocol statement as Parse (when not yet prepared), Bind, Describe,
  // Execute and Sync, corked into one write: the lead goes before the first of them.
  for (const m of ['parse', 'bind'] as const) {
    const write = con[m].bind(con) as (msg: unknown) => void;
    con[m] = (msg: unknown) => {
      if (lead) {
        const texts = lead;
        lead = undefined;
        for (const t of texts) {
          con.parse({ text: t, name: '', types: [] });
          con.bind({ portal: '', statement: '', values: [] });
          con.execute({ portal: '', rows: 0 });
        }
        keepAnswersOut((client as unknown as { _activeQuery: ActiveQuery })._activeQuery, con, texts.length);
      }
      write(msg);
    };
  }
}

/** The parts of pg's Connection and Query that foldIntoBegin drives. */
interface Connection {
  parse(msg: unknown): void; bind(msg: unknown): void; execute(msg: unknown): void;
  parsedStatements: Record<string, string>;
}
interface ActiveQuery {
  name?: string;
  handleDataRow(msg: unknown): void;
  handleCommandComplete(msg: unknown, con: unknown): void;
  handleError(err: unknown, con: unknown): void;
}

/**
 * Keeps the answers of `n` statements written before `q`'s own out of its result: their rows
 * and command tags come first. pg notes `q` as prepared at the first ParseComplete, which is
 * now the lead's: if `q`'s own Parse then fails, that note is taken back.
 */
function keepAnswersOut(q: ActiveQuery, con: Connection, n: number): void {
  let left = n;
  const wasParsed = q.name !== undefined && con.parsedStatements[q.name] !== undefined;
  const { handleDataRow, handleCommandComplete, handleError } = q;
  q.handleDataRow = function (msg) {
    if (left > 0) return;
    handleDataRow.call(this, msg);
  };
  q.handleCommandComplete = function (msg, c) {
    if (left > 0) {
      left--;
      return;
    }
    handleCommandComplete.call(this, msg, c);
  };
  q.handleError = function (err, c) {
    if (q.name !== undefined && !wasParsed) delete con.parsedStatements[q.name];
    handleError.call(this, err, c);
  };
}

/** The answer to a query answered without the server (pg's shape: a promise, or the callback called). */
function answered(a: unknown[], command: string): Promise<pg.QueryResult> | undefined {
  const res = { command, rowCount: null, rows: [], fields: [], oid: 0 } as unknown as pg.QueryResult;
  const cb = a[a.length - 1];
  if (typeof cb === 'function') {
    process.nextTick(() => (cb as (err: unknown, r: pg.QueryResult) => void)(null, res));
    return undefined;
  }
  return Promise.resolve(res);
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
