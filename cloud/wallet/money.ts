/**
 * The wallet's money is written by the ledger (cloud/ledger/wallet.ts): every movement, its
 * journal lines and, for money at a desk, its payments and refunds in a book. Re-exported here
 * under the names cloud/wallet has always used.
 */
export { walletAccount as account, walletMovement as recordMovement, type Movement, type MovementKind } from '../ledger/wallet.ts';
