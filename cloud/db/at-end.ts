import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';

/** A drizzle insert, update or delete not yet sent: it runs when awaited, and renders as SQL. */
export type Write = SQLWrapper & PromiseLike<unknown>;

/** Writes held back per transaction object (holdWrites); a savepoint's are never held. */
const held = new WeakMap<object, SQL[]>();

/**
 * A write whose result nothing reads (no `returning`, and no later statement of the
 * transaction reads what it wrote): while its transaction holds writes (holdWrites) it is
 * kept and sent with the others in one statement (sendTogether); else it runs now. At peak a
 * sale's statements are its cost (each a round trip: bench:peak's profile), and its last
 * writes depend on nothing but what it knows already.
 */
export async function writeAtEnd(tx: object, q: Write): Promise<void> {
  const list = held.get(tx);
  if (list) list.push(q.getSQL());
  else await q;
}

/** Transactions whose caller vouches that nothing later in them reads the ledger's rows back (holdLedgerRows). */
const ledgerRowsHeld = new WeakSet<object>();

/**
 * The caller of a sale vouches that nothing later in its transaction reads back the rows the
 * ledger writes (the order, its payments, sales and tickets) or writes a row that refers to
 * them outside the held statement: the ledger then writes them with writeAtEnd too (writeRowAtEnd).
 * Only a caller that knows all of its transaction may say so (a channel's payment: four
 * round trips less per sale, bench:peak); a voucher or an account entry refers to its order
 * in a statement of its own, and a ticket bound to an ID card is read back to bind it.
 */
export function holdLedgerRows(tx: object): void {
  ledgerRowsHeld.add(tx);
}

/** Whether the ledger's rows are held in `tx` now (holdLedgerRows, and `tx` holds writes). */
export const holdsLedgerRows = (tx: object): boolean => ledgerRowsHeld.has(tx) && held.has(tx);

/** A ledger row's insert: held where the caller said so (holdLedgerRows) and writes are held; else now. */
export async function writeRowAtEnd(tx: object, q: Write): Promise<void> {
  if (holdsLedgerRows(tx)) held.get(tx)!.push(q.getSQL());
  else await q;
}

/** From here on, writeAtEnd on `tx` adds to `list`; `undefined` ends the holding. */
export function holdWrites(tx: object, list: SQL[] | undefined): void {
  if (list) held.set(tx, list);
  else held.delete(tx);
}

/** The writes held for `tx` now, if it holds any. */
export const heldWrites = (tx: object): SQL[] | undefined => held.get(tx);

/**
 * Sends writes as one statement: all but the last as data-modifying CTEs, which always run
 * whole, whether read or not. They see the same snapshot and none sees another's rows, and
 * foreign keys and the audit triggers are checked and fired at the statement's end, so a
 * sale's rows may go in any order; two of them must not write the same row (Postgres leaves
 * which one wins open).
 */
export async function sendTogether(tx: { execute(q: SQL): PromiseLike<unknown> }, writes: readonly SQL[]): Promise<void> {
  if (writes.length === 0) return;
  if (writes.length === 1) return void (await tx.execute(writes[0]!));
  const ctes = writes.slice(0, -1).map((w, i) => sql`${sql.identifier(`w${i}`)} as (${w})`);
  await tx.execute(sql`with ${sql.join(ctes, sql`, `)} ${writes.at(-1)!}`);
}

/** Runs `fn` with `tx`'s writeAtEnd writes held, then sends them in one statement (sendTogether). */
export async function writesTogether<T>(tx: { execute(q: SQL): PromiseLike<unknown> }, fn: () => Promise<T>): Promise<T> {
  const list: SQL[] = [];
  holdWrites(tx, list);
  let out: T;
  try {
    out = await fn();
  } finally {
    holdWrites(tx, undefined);
  }
  await sendTogether(tx, list);
  return out;
}
