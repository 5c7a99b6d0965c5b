import { parse, protocol, type messages, type PGlite, type QueryOptions, type Results, type Transaction } from '@electric-sql/pglite';
import { MAX_PREPARED } from './statements.ts';

const { serialize } = protocol;

interface Prepared {
  name: string;
  /** The parameters' types as Postgres resolved them at Parse: each value is serialised by its type, as `query()` does. */
  paramTypes: number[];
  /** Describe of the statement: the result's columns (none for a command without `returning`). */
  row: messages.BackendMessage | undefined;
}

/** Execute (all rows) + Sync: the tail of every call's one message. */
const RUN = concat([serialize.execute({}), serialize.sync()]);

/**
 * PGlite (HQ's embedded database) with each statement text prepared once and reused: Postgres
 * then parses, analyses and plans a text once (later calls run its cached plan), and a call is
 * one exchange with the WASM backend (Bind + Execute + Sync) instead of `query()`'s six (Parse,
 * Describe, Bind, Describe, Execute, Sync, each its own trip into the backend).
 *
 * Measured (bench:peak, HQ on PGlite, CPU profile of the sales): before this, ~12 % of HQ's time
 * went to Postgres parsing, analysing and planning the same texts, ~7 % to PGlite copying its
 * table of ~320 type parsers into a new object on every call (drizzle passes its own parsers with
 * each query), more to the six trips; HQ's CPU per sale fell by ~25 % (bookings) to ~35 %
 * (window orders) with this and ./pglite-vacuum.ts.
 *
 * Results are those of `query()`: the same messages go through PGlite's own `parseResults` with
 * the same parsers (drizzle's over PGlite's, by prototype instead of by copy), values are
 * serialised by the same serializers, errors carry `query`, `params` and `queryOptions`. Calls
 * take PGlite's own locks: one outside a transaction waits for any running transaction, as
 * `query()` does.
 *
 * - A statement lives as long as the database is open, through rollbacks. When Postgres says one
 *   no longer fits (`cached plan must not change result type` after its table changed, or gone
 *   after `DEALLOCATE`), that call fails as it would have on the server (./statements.ts), the
 *   statement is closed, and the text is prepared again on its next call.
 * - At most MAX_PREPARED texts; later new texts, and calls with explicit parameter types, go
 *   through `query()` as before.
 */
export async function preparePgliteStatements(pg: PGlite): Promise<void> {
  // PGlite's start-up runs `query()` itself: patch once it is up.
  await pg.waitReady;
  const query = pg.query.bind(pg);
  const transaction = pg.transaction.bind(pg);
  const statements = new Map<string, Prepared>();
  const stale: string[] = [];
  let next = 0;

  const exchange = (message: Uint8Array, options: QueryOptions | undefined) =>
    pg.execProtocolStream(message, { syncToFs: false, onNotice: options?.onNotice });

  async function prepare(text: string, options: QueryOptions | undefined): Promise<Prepared> {
    const name = `p${++next}`;
    // Statements found stale are closed with the next Parse (their name is never reused).
    const close = stale.splice(0).map((s) => serialize.close({ type: 'S', name: s }));
    const reply = await exchange(concat([...close, serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync()]), options);
    const prepared: Prepared = { name, paramTypes: parse.parseDescribeStatementResults(reply), row: reply.find((m) => m.name === 'rowDescription') };
    statements.set(text, prepared);
    return prepared;
  }

  /** One call of a text; the caller holds PGlite's query lock. */
  async function run<T>(text: string, params: unknown[], options: QueryOptions | undefined): Promise<Results<T>> {
    let prepared = statements.get(text);
    try {
      prepared ??= await prepare(text, options);
      const values = params.map((param, i) => {
        if (param === null || param === undefined) return null;
        const oid = prepared!.paramTypes[i]!;
        const serializer = options?.serializers?.[oid] ?? pg.serializers[oid];
        return serializer ? serializer(param) : (param as { toString(): string }).toString();
      });
      // As query(): a blob given is what `copy ... from '/dev/blob'` reads, one written by `to '/dev/blob'` comes back.
      await pg._handleBlob(options?.blob);
      const reply = await exchange(concat([serialize.bind({ statement: prepared.name, values }), RUN]), options);
      await pg._cleanupBlob();
      const blob = await pg._getWrittenBlob();
      if (prepared.row) reply.unshift(prepared.row);
      // drizzle's parsers over PGlite's without copying PGlite's table on every call (parseResults spreads both).
      const parsers = options?.parsers ? Object.assign(Object.create(pg.parsers) as typeof pg.parsers, options.parsers) : pg.parsers;
      return parse.parseResults(reply, parsers, options?.parsers ? { ...options, parsers: undefined } : options, blob)[0] as Results<T>;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (prepared && (code === '0A000' || code === '26000') && statements.get(text) === prepared) {
        statements.delete(text);
        stale.push(prepared.name);
      }
      if (e instanceof Error && 'severity' in e) {
        // As PGlite's makePGliteError: the failing call's text and values ride on the error.
        Object.assign(e as messages.DatabaseError, { query: text, params, queryOptions: options });
      }
      throw e;
    }
  }

  const preparable = (text: string, options: QueryOptions | undefined) =>
    !options?.paramTypes && (statements.has(text) || statements.size < MAX_PREPARED);

  pg.query = async function <T>(text: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> {
    if (!preparable(text, options)) return query<T>(text, params, options);
    await pg._checkReady();
    // As query(): wait for a running transaction, then for the backend.
    return pg._runExclusiveTransaction(() => pg._runExclusiveQuery(async () => {
      const result = await run<T>(text, params, options);
      await pg.syncToFs();
      return result;
    }));
  };

  pg.transaction = function <T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    return transaction((tx) => {
      // The transaction's own object, its query() through the prepared statements (no sync inside a transaction, as PGlite's).
      const ours = Object.create(tx) as Transaction;
      ours.query = async function <R>(text: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<R>> {
        if (!preparable(text, options)) return tx.query<R>(text, params, options);
        if (tx.closed) throw new Error('Transaction is closed');
        return pg._runExclusiveQuery(() => run<R>(text, params, options));
      };
      return callback(ours);
    });
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
