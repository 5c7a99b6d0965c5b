/**
 * The ledger: the one writer of money and of what money buys. Read README.md beside this file.
 *
 *   await auditedTx(db, async (tx) => {
 *     const actor = await ledger.staffActor(tx, user);            // whose till: shift, office, channel
 *     await ledger.sell(tx, ctx, actor, { site, visitDay, channel: 'window', at, lines, payments });
 *   });
 */
import { accountRow, balances, postEntry, redeemVoucher } from './accounts.ts';
import { accountMovement, heldOrder, keyedId, payIn, payOut } from './held.ts';
import { insertPayment, pay } from './payments.ts';
import { refund, refundable, splitRefund } from './refund.ts';
import { checkPaid, issueLines, openOrder, owe, sell } from './sell.ts';
import { issueTickets, revokeTickets } from './tickets.ts';
import { channelActor, deskActor, kioskActor, staffActor, staffTill } from './till.ts';
import { walletMovement } from './wallet.ts';

export const ledger = {
  sell, owe, openOrder, pay, issueLines, checkPaid, insertPayment,
  refund, refundable, splitRefund,
  issueTickets, revokeTickets,
  postEntry, redeemVoucher, accountRow, balances,
  heldOrder, keyedId, payIn, payOut, accountMovement, walletMovement,
  staffActor, staffTill, kioskActor, channelActor, deskActor,
};

export type { Actor, Book, Till } from './till.ts';
export type { Line, OrderHead, SaleChannel, SoldLine } from './sell.ts';
export type { Method, Payment } from './payments.ts';
export type { IssuedTicket } from './tickets.ts';
export type { Part } from './refund.ts';
export { METHODS } from './payments.ts';
export { CHANNELS } from './sell.ts';
export { LEDGERS, MAX_FEN, money, uuid, type Ledger } from './accounts.ts';
export { HELD, type Held } from './held.ts';
export { walletAccount, type Movement, type MovementKind } from './wallet.ts';
