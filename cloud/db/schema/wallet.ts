import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgSequence, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * Water park one-card (一卡通). A wallet is bound to one wristband (RFID UID) from issue to
 * return; its money is never a column here but the sum of its journal lines (wallet_lines),
 * `balanceFen`/`depositFen` being the cached sums the POS feed carries. Every wallet change
 * takes a new `version` from wallet_version_seq: the POS agents pull `since=<version>`.
 */
export const walletVersionSeq = pgSequence('wallet_version_seq');

export const wallets = pgTable('wallets', {
  id: uuid('id').primaryKey(),
  site: text('site').notNull(),
  /** The wristband's UID, uppercase hex; one open wallet per band. */
  bandUid: text('band_uid').notNull(),
  /** open, lost (blocked at once everywhere, awaiting settlement), settled (band returned or written off). */
  state: text('state').notNull(),
  balanceFen: bigint('balance_fen', { mode: 'number' }).notNull().default(0),
  depositFen: bigint('deposit_fen', { mode: 'number' }).notNull().default(0),
  /** Admission ticket the band also opens gates for (credentials, kind card). */
  ticketId: uuid('ticket_id'),
  holderName: text('holder_name'),
  version: bigint('version', { mode: 'number' }).notNull(),
  openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
  closedAt: timestamp('closed_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('wallets_live_band_idx').on(t.bandUid).where(sql`${t.state} <> 'settled'`),
  index('wallets_site_version_idx').on(t.site, t.version),
]);

/**
 * One money movement (issue, top-up, charge, refund of a charge, locker, settlement): its id
 * is the caller's idempotency key, so a movement sent twice is recorded once. Its lines sum
 * to zero (double entry, debit positive).
 */
export const walletMovements = pgTable('wallet_movements', {
  id: text('id').primaryKey(),
  walletId: uuid('wallet_id').references(() => wallets.id),
  site: text('site').notNull(),
  kind: text('kind').notNull(),
  /** Business time (the POS's corrected time for a charge). */
  at: timestamp('at', { withTimezone: true }).notNull(),
  recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
  /** user:<id> or device:<site>/<device>. */
  actor: text('actor').notNull(),
  shop: text('shop'),
  detail: jsonb('detail').notNull().default({}),
}, (t) => [index('wallet_movements_wallet_idx').on(t.walletId), index('wallet_movements_at_idx').on(t.at)]);

/**
 * Accounts: pay:<method> (money in or out at a desk), wallet:<id> (balance owed to the
 * visitor), deposit:<id> (band deposit held), locker:<id> (locker deposit held),
 * shop:<code> (a shop's takings), fee:band, fee:locker (the park's fees).
 */
export const walletLines = pgTable('wallet_lines', {
  movementId: text('movement_id').notNull().references(() => walletMovements.id),
  account: text('account').notNull(),
  amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
}, (t) => [primaryKey({ columns: [t.movementId, t.account] }), index('wallet_lines_account_idx').on(t.account)]);

/** A consumption point (二次消费点): restaurant, shop, rental, paid ride. */
export const shops = pgTable('shops', {
  code: text('code').primaryKey(),
  site: text('site').notNull(),
  name: text('name').notNull(),
  /** A tenant's takings are paid out less the commission (basis points of sales). */
  tenant: boolean('tenant').notNull().default(false),
  commissionBp: integer('commission_bp').notNull().default(0),
  active: boolean('active').notNull().default(true),
});

export const shopItems = pgTable('shop_items', {
  shop: text('shop').notNull().references(() => shops.code),
  code: text('code').notNull(),
  name: text('name').notNull(),
  priceFen: integer('price_fen').notNull(),
  active: boolean('active').notNull().default(true),
}, (t) => [primaryKey({ columns: [t.shop, t.code] })]);

/**
 * Charges made at a POS, as uploaded (idempotent on chargeId). `overspentFen` > 0: the band
 * was spent past its balance (offline at two shops, or after it was blocked): reported, the
 * money owed is settled at the exit.
 */
export const posCharges = pgTable('pos_charges', {
  chargeId: uuid('charge_id').primaryKey(),
  walletId: uuid('wallet_id').notNull().references(() => wallets.id),
  site: text('site').notNull(),
  shop: text('shop').notNull(),
  device: text('device').notNull(),
  amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
  items: jsonb('items').notNull(),
  /** The charge it takes back (a refund made with a supervisor's permission). */
  voidOf: uuid('void_of'),
  at: timestamp('at', { withTimezone: true }).notNull(),
  offline: boolean('offline').notNull(),
  overspentFen: bigint('overspent_fen', { mode: 'number' }).notNull().default(0),
  /** The band was reported lost before this charge was made. */
  afterLost: boolean('after_lost').notNull().default(false),
  recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
}, (t) => [index('pos_charges_wallet_idx').on(t.walletId), uniqueIndex('pos_charges_void_idx').on(t.voidOf)]);

/** Lockers, each opened by the band it is assigned to. */
export const lockers = pgTable('lockers', {
  site: text('site').notNull(),
  code: text('code').notNull(),
  /** deposit: held from the balance and given back; hourly: a fee per started hour at release. */
  mode: text('mode').notNull(),
  feeFen: integer('fee_fen').notNull(),
  walletId: uuid('wallet_id').references(() => wallets.id),
  assignedAt: timestamp('assigned_at', { withTimezone: true }),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
}, (t) => [primaryKey({ columns: [t.site, t.code] })]);
