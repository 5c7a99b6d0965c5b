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
  client.query = function (this: pg.Client, ...a: unknown[]) {
    const q = a[0] as { text?: unknown } | string;
    const text = typeof q === 'string' ? q : q?.text;
    const state = text === 'begin' && (a[1] === undefined || (Array.isArray(a[1]) && a[1].length === 0)) ? pending.getStore() : undefined;
    if (state && !state.sent) {
      state.sent = true;
      a[0] = typeof q === 'string' ? `begin; ${state.text}` : { ...q, text: `begin; ${state.text}` };
    }
    return query.apply(this, a);
  } as typeof client.query;
}
