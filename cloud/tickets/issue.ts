import type { Db } from '../db/open.ts';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/*
 * Tickets of a sale are made and revoked by the ledger only (cloud/ledger: `ledger.sell`,
 * `ledger.issueTickets`, `ledger.revokeTickets`), with the sale's money in one transaction.
 */
