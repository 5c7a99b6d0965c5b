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
 * round trip as the transaction's first statement, and its `commit` with the last one where the
 * caller says which that is (commitWithNext). Set up on each connection once, when the pool
 * makes it.
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
  const state: Batch = {};
  folding.set(client, state);
  client.query = function (this: pg.Client, ...a: unknown[]) {
    const q = a[0] as { text?: unknown; name?: unknown; values?: unknown; rows?: unknown; queryMode?: unknown; submit?: unknown } | string;
    const text = typeof q === 'string' ? q : q?.text;
    if (committed.has(this)) {
      // A statement went with its transaction's commit (sendWithCommit, commitWithNext):
      // drizzle's own `commit` is answered here; anything else would run outside the
      // transaction its caller meant.
      committed.delete(this);
      if (text === 'commit') return answered(a, 'COMMIT');
      if (text !== 'rollback') return Promise.reject(new Error(`a statement after its transaction's commit went with an earlier one: ${String(text).slice(0, 80)}`));
    }
    const params = Array.isArray(a[1]) ? a[1] : typeof q === 'object' ? q?.values : undefined;
    if (text === 'begin' && (params === undefined || (Array.isArray(params) && params.length === 0)) && state.opening === undefined) {
      const store = pending.getStore();
      state.opening = ['begin'];
      if (store && !store.sent) {
        store.sent = true;
        state.opening.push(store.text);
      }
      return answered(a, 'BEGIN');
    }
    const open = state.opening;
    const close = state.closing;
    state.opening = undefined;
    state.closing = false;
    if (open && (text === 'commit' || text === 'rollback')) return answered(a, text.toUpperCase());
    if (!open && !close) return query.apply(this, a);
    const extended = typeof q === 'object' && q !== null && typeof q.submit !== 'function' && q.rows === undefined &&
      (q.name !== undefined || q.queryMode === 'extended' || (Array.isArray(params) && params.length > 0));
    // Only when pg writes it now (an idle connection: a queued statement would go without them).
    const idle = (this as unknown as { readyForQuery?: boolean }).readyForQuery === true && (this as unknown as { _queryQueue?: unknown[] })._queryQueue?.length === 0;
    if (extended && idle && typeof a[a.length - 1] !== 'function') {
      state.writing = { lead: open ?? [], commit: close === true, executed: false };
      let out: Promise<unknown>;
      try {
        out = query.apply(this, a) as Promise<unknown>;
      } finally {
        state.writing = undefined;
      }
      // Answered whole: the commit went through too (a failed one fails the statement).
      return close ? out.then((r) => (committed.add(this), r)) : out;
    }
    // The simple protocol, one text per query: the begin first by itself, the commit after by drizzle.
    if (open) return (query.call(this, open.join('; ')) as Promise<unknown>).then(() => query.apply(this, a));
    return query.apply(this, a);
  } as typeof client.query;
  // pg writes an extended-protocol statement as Parse (when not yet prepared), Bind, Describe,
  // Execute and Sync, corked into one write: the lead goes before the first of them, the
  // trail before the Sync, and only after the statement's Execute (pg syncs without one when
  // it cannot bind the values: nothing must commit then).
  const write = (m: 'parse' | 'bind' | 'execute' | 'sync') => con[m].bind(con) as (msg?: unknown) => void;
  const send = { parse: write('parse'), bind: write('bind'), execute: write('execute'), sync: write('sync') };
  const statements = (texts: string[]) => {
    for (const t of texts) {
      send.parse({ text: t, name: '', types: [] });
      send.bind({ portal: '', statement: '', values: [] });
      send.execute({ portal: '', rows: 0 });
    }
  };
  for (const m of ['parse', 'bind'] as const) {
    con[m] = (msg: unknown) => {
      const w = state.writing;
      if (w && !w.started) {
        w.started = true;
        statements(w.lead);
        keepAnswersOut((client as unknown as { _activeQuery: ActiveQuery })._activeQuery, con, w.lead.length);
      }
      send[m](msg);
    };
  }
  con.execute = (msg: unknown) => {
    send.execute(msg);
    if (state.writing?.started) state.writing.executed = true;
  };
  con.sync = () => {
    const w = state.writing;
    if (w?.executed && w.commit) {
      w.commit = false;
      statements(['commit']);
    }
    send.sync();
  };
}

/** A connection's batch state (foldIntoBegin). */
interface Batch {
  /** The `begin` answered here and not yet sent, with withBegin's text: the transaction's next statement takes them. */
  opening?: string[];
  /** Whether the transaction's next statement is its last and takes the `commit` (commitWithNext). */
  closing?: boolean;
  /** The statements going before the one pg is writing now, and whether its commit goes after it. */
  writing?: { lead: string[]; commit: boolean; started?: boolean; executed: boolean };
}

/** The parts of pg's Connection and Query that foldIntoBegin drives. */
interface Connection {
  parse(msg: unknown): void; bind(msg: unknown): void; execute(msg: unknown): void; sync(): void;
  parsedStatements: Record<string, string>;
}
interface ActiveQuery {
  name?: string;
  handleDataRow(msg: unknown): void;
  handleCommandComplete(msg: unknown, con: unknown): void;
  handleError(err: unknown, con: unknown): void;
}

/**
 * Keeps the answers of the `before` statements written before `q`'s own, and of those written
 * after it, out of its result: their rows and command tags. pg notes `q` as prepared at the
 * first ParseComplete, which is now the lead's: if `q`'s own Parse then fails, that note is
 * taken back.
 */
function keepAnswersOut(q: ActiveQuery, con: Connection, before: number): void {
  let done = 0; // command tags seen: the lead's, then q's own (one), then the trail's
  const mine = () => done === before;
  const wasParsed = q.name !== undefined && con.parsedStatements[q.name] !== undefined;
  const { handleDataRow, handleCommandComplete, handleError } = q;
  q.handleDataRow = function (msg) {
    if (mine()) handleDataRow.call(this, msg);
  };
  q.handleCommandComplete = function (msg, c) {
    const own = mine();
    done++;
    if (own) handleCommandComplete.call(this, msg, c);
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
const folding = new WeakMap<object, Batch>();
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

/**
 * Runs `run`, whose one statement is the last of transaction `tx`: on a Postgres server, when
 * that statement goes by the extended protocol, the transaction's `commit` goes in the same
 * batch after it (one round trip less; rows it locked are held through no trip back to HQ).
 * The caller vouches that nothing follows in the transaction, as for sendWithCommit: drizzle's
 * `commit` after the callback is answered without the server, any other statement fails. When
 * the statement or the commit fails, `run` fails with that error and drizzle's `rollback` ends
 * what is left. Elsewhere (PGlite, a savepoint, a text without parameters) the commit goes by
 * itself, as before.
 */
export async function commitWithNext<T>(tx: object, run: () => Promise<T>): Promise<T> {
  const c = clientOf(tx);
  const state = c && commitsWith(tx) ? folding.get(c) : undefined;
  if (!state) return run();
  state.closing = true;
  try {
    return await run();
  } finally {
    state.closing = false;
  }
}
