import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './auth.ts';
import { ticketTypes } from './catalog.ts';

/** Public holidays (site business days) for the price calendar. */
export const holidays = pgTable('holidays', {
  day: text('day').primaryKey(),
  name: text('name').notNull(),
});

/**
 * Price calendar: the matching rule of highest priority sets a type's price for a visit day;
 * no match = the type's base price. A rule may name a season (from/to day), weekdays
 * (1 = Monday .. 7 = Sunday) and/or holidays only.
 */
export const priceRules = pgTable('price_rules', {
  id: serial('id').primaryKey(),
  typeId: integer('type_id').notNull().references(() => ticketTypes.id),
  name: text('name').notNull(),
  fromDay: text('from_day'),
  toDay: text('to_day'),
  weekdays: jsonb('weekdays').$type<number[]>(),
  holidaysOnly: boolean('holidays_only').notNull().default(false),
  priceFen: integer('price_fen').notNull(),
  priority: integer('priority').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Tickets sold per type and visit day: raised by one conditional upsert, never past capacity. */
export const dayCapacity = pgTable('day_capacity', {
  typeId: integer('type_id').notNull().references(() => ticketTypes.id),
  day: text('day').notNull(),
  /** Overrides the type's daily capacity for this day; null = the type's. */
  capacity: integer('capacity'),
  sold: integer('sold').notNull().default(0),
}, (t) => [primaryKey({ columns: [t.typeId, t.day] })]);

/** Discounts: percent (value = percent off) or fixed (value = fen off per ticket). */
export const discounts = pgTable('discounts', {
  id: serial('id').primaryKey(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  kind: text('kind').notNull(),
  value: integer('value').notNull(),
  /** Only for customers of this category (customer_accounts.category); null = anyone. */
  customerCategory: text('customer_category'),
  active: boolean('active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Which ticket types a seller may sell. */
export const sellerTypes = pgTable('seller_types', {
  userId: uuid('user_id').notNull().references(() => users.id),
  typeId: integer('type_id').notNull().references(() => ticketTypes.id),
}, (t) => [primaryKey({ columns: [t.userId, t.typeId] })]);

/** Which discounts a seller may give. */
export const sellerDiscounts = pgTable('seller_discounts', {
  userId: uuid('user_id').notNull().references(() => users.id),
  discountId: integer('discount_id').notNull().references(() => discounts.id),
}, (t) => [primaryKey({ columns: [t.userId, t.discountId] })]);

/** Contracted customers' accounts: prepaid deposit, points, credit (挂账 / 签单) up to a limit. */
export const customerAccounts = pgTable('customer_accounts', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  /** e.g. agency, corporate, member: what discounts may be limited to. */
  category: text('category').notNull().default('general'),
  creditLimitFen: bigint('credit_limit_fen', { mode: 'number' }).notNull().default(0),
  /** Optional link to the customer register (customers.id). */
  customerId: integer('customer_id'),
  active: boolean('active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Append-only ledger of an account: deposit, points, credit; balances are sums. */
export const accountEntries = pgTable('account_entries', {
  id: uuid('id').primaryKey(),
  accountId: uuid('account_id').notNull().references(() => customerAccounts.id),
  /** deposit (money held for the customer), points, credit (owed by the customer). */
  ledger: text('ledger').notNull(),
  amount: bigint('amount', { mode: 'number' }).notNull(),
  orderId: uuid('order_id'),
  note: text('note'),
  byUserId: uuid('by_user_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('account_entries_account_idx').on(t.accountId, t.ledger)]);

/** Vouchers (face value in fen), each usable once. */
export const vouchers = pgTable('vouchers', {
  code: text('code').primaryKey(),
  valueFen: integer('value_fen').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A voucher's one use; the primary key makes a second use impossible. */
export const voucherRedemptions = pgTable('voucher_redemptions', {
  code: text('code').primaryKey().references(() => vouchers.code),
  orderId: uuid('order_id').notNull(),
  paymentId: uuid('payment_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A window order: one or more lines (each a `sales` row with its tickets), paid by one or more payments. */
export const orders = pgTable('orders', {
  id: uuid('id').primaryKey(),
  site: text('site').notNull(),
  /** The user who sold it; null for a kiosk or a channel. */
  sellerId: uuid('seller_id').references(() => users.id),
  shiftId: uuid('shift_id'),
  accountId: uuid('account_id').references(() => customerAccounts.id),
  /** Where it was sold: window, kiosk, members (member cards), direct (POST /sales), channel (OTA / web shop). */
  channel: text('channel').notNull().default('window'),
  /** The kiosk (device id) or the channel (code) that sold it. */
  source: text('source'),
  /** Why an order of 0 is free (a free ticket is a sale of 0 with a reason). */
  freeReason: text('free_reason'),
  /** reserved (group pre-sale, nothing issued yet), pending (awaiting a payment), issued, cancelled. */
  status: text('status').notNull(),
  visitDay: text('visit_day').notNull(),
  totalFen: bigint('total_fen', { mode: 'number' }).notNull(),
  note: text('note'),
  /** The lines as requested, kept for a reservation issued later. */
  request: jsonb('request').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  issuedAt: timestamp('issued_at', { withTimezone: true }),
}, (t) => [index('orders_seller_idx').on(t.sellerId, t.createdAt)]);

/**
 * Money in and out, append-only: a charge is positive, a refund negative. Every row is also
 * in the audit chain; a correction is a new row, never an edit.
 */
export const payments = pgTable('payments', {
  id: uuid('id').primaryKey(),
  orderId: uuid('order_id').notNull().references(() => orders.id),
  shiftId: uuid('shift_id'),
  /** Who took or gave back the money; null for a kiosk or a channel. */
  userId: uuid('user_id').references(() => users.id),
  /**
   * The book the money is in: shift (a window's or a kiosk's, shift_id), office (the finance
   * office's own cash book), channel (a channel's settlement; the order names the channel).
   * Never null: rows from before books were backfilled (migration backfill_books).
   */
  book: text('book').notNull(),
  /** cash, card, mobile, voucher, points, deposit, on_account, signed_bill, channel. */
  method: text('method').notNull(),
  amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
  tenderedFen: bigint('tendered_fen', { mode: 'number' }),
  changeFen: bigint('change_fen', { mode: 'number' }),
  reference: text('reference'),
  refundId: uuid('refund_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
}, (t) => [index('payments_order_idx').on(t.orderId), index('payments_shift_idx').on(t.shiftId), index('payments_created_idx').on(t.createdAt)]);

/** Mobile payments under way at a provider; a confirmed one becomes a `payments` row. */
export const paymentIntents = pgTable('payment_intents', {
  id: uuid('id').primaryKey(),
  orderId: uuid('order_id').notNull().references(() => orders.id),
  shiftId: uuid('shift_id'),
  userId: uuid('user_id').notNull(),
  provider: text('provider').notNull(),
  providerRef: text('provider_ref').notNull(),
  amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
  /** pending, paid, failed. */
  status: text('status').notNull(),
  paymentId: uuid('payment_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Refunds, append-only: who, why, how much, which tickets were revoked. */
export const refunds = pgTable('refunds', {
  id: uuid('id').primaryKey(),
  orderId: uuid('order_id').notNull().references(() => orders.id),
  /** Null when a channel cancelled a paid booking. */
  userId: uuid('user_id').references(() => users.id),
  shiftId: uuid('shift_id'),
  /** shift, office or channel, as for payments. */
  book: text('book').notNull(),
  amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
  reason: text('reason').notNull(),
  ticketIds: jsonb('ticket_ids').$type<string[]>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
});

/** Ticket events at the window besides the sale: reissue after loss, extension. Append-only. */
export const ticketEvents = pgTable('ticket_events', {
  id: uuid('id').primaryKey(),
  kind: text('kind').notNull(),
  ticketId: uuid('ticket_id').notNull(),
  newTicketId: uuid('new_ticket_id'),
  userId: uuid('user_id').notNull(),
  shiftId: uuid('shift_id'),
  orderId: uuid('order_id'),
  detail: jsonb('detail').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
});

/** Pre-printed stock (barcode tickets, cards): a batch of serials. */
export const stockBatches = pgTable('stock_batches', {
  id: uuid('id').primaryKey(),
  typeId: integer('type_id').notNull().references(() => ticketTypes.id),
  prefix: text('prefix').notNull(),
  firstNumber: integer('first_number').notNull(),
  count: integer('count').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** One pre-printed item: made, in_store, issued (to a seller), sold, voided, returned (to the maker). */
export const stockItems = pgTable('stock_items', {
  serial: text('serial').primaryKey(),
  batchId: uuid('batch_id').notNull().references(() => stockBatches.id),
  status: text('status').notNull(),
  holderId: uuid('holder_id'),
  ticketId: uuid('ticket_id'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('stock_items_batch_idx').on(t.batchId, t.status), index('stock_items_holder_idx').on(t.holderId, t.status)]);

/** Every move of a stock item, append-only. */
export const stockMoves = pgTable('stock_moves', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  serial: text('serial').notNull(),
  fromStatus: text('from_status'),
  toStatus: text('to_status').notNull(),
  userId: uuid('user_id').notNull(),
  holderId: uuid('holder_id'),
  shiftId: uuid('shift_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
}, (t) => [index('stock_moves_serial_idx').on(t.serial)]);

/**
 * A seller's shift: opened with a float, closed with counted amounts, then sealed. A kiosk
 * has a shift of its own per business day (`device`, `day`), opened by its first sale.
 */
export const shifts = pgTable('shifts', {
  id: uuid('id').primaryKey(),
  sellerId: uuid('seller_id').references(() => users.id),
  site: text('site'),
  device: text('device'),
  day: text('day'),
  floatFen: bigint('float_fen', { mode: 'number' }).notNull(),
  openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
  closedAt: timestamp('closed_at', { withTimezone: true }),
  /** The handover report, frozen at close; its hash is in the audit chain. */
  report: jsonb('report'),
  reportHash: text('report_hash'),
}, (t) => [
  index('shifts_seller_idx').on(t.sellerId, t.closedAt),
  uniqueIndex('shifts_device_day_idx').on(t.site, t.device, t.day).where(sql`${t.device} is not null`),
]);

/**
 * Hash-chained log of everything financial (cloud/audit/README.md): the actions HQ's code
 * records (`appendAudit`), and an image of every row written to a table on the audit list,
 * put there by a database trigger in the row's own transaction. Records are chained at
 * commit: hash = SHA-256(prev hash + the record's fields, `v` says which formula).
 */
export const auditLog = pgTable('audit_log', {
  seq: bigint('seq', { mode: 'number' }).primaryKey(),
  at: timestamp('at', { withTimezone: true }).notNull(),
  actor: text('actor').notNull(),
  /** An action's name, or insert / update / delete / baseline for a row image. */
  action: text('action').notNull(),
  /** What the action is about; for a row image, its key (columns joined by '/'). */
  subject: text('subject').notNull(),
  body: jsonb('body').notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
  /** 1: hashed by HQ's code over the canonical record (before row images); 2: by the database at commit. */
  v: integer('v').notNull().default(1),
  /** The database transaction that wrote it (records of one transaction were committed together). */
  tx: bigint('tx', { mode: 'number' }),
  /** The table of a row image; null for an action. */
  tbl: text('tbl'),
  /** SHA-256 of body as the database prints it (v2): the chain covers this. */
  rowHash: text('row_hash'),
}, (t) => [index('audit_log_row_idx').on(t.tbl, t.subject, t.seq)]);

/**
 * Records of transactions under way: written by appendAudit and the row triggers, chained
 * into audit_log and removed at commit by a deferred trigger (the chain's lock is then the
 * last lock a transaction takes). Empty outside a transaction.
 */
export const auditPending = pgTable('audit_pending', {
  n: bigserial('n', { mode: 'number' }).primaryKey(),
  tx: bigint('tx', { mode: 'number' }).notNull().default(sql`txid_current()`),
  at: timestamp('at', { withTimezone: true }).notNull().default(sql`now()`),
  actor: text('actor'),
  action: text('action').notNull(),
  subject: text('subject').notNull(),
  tbl: text('tbl'),
  body: jsonb('body').notNull(),
  /**
   * True on a transaction's first record: only that one queues the flush at commit. The row
   * trigger (audit_row) says which; on a record written without it (null) the audit_pending_mark
   * trigger does.
   */
  first: boolean('first'),
}, (t) => [index('audit_pending_tx_idx').on(t.tx)]);

/**
 * The transactions chained after their commit (audit.defer, cloud/audit/chain.ts auditedTx)
 * that have committed and wait in audit_pending: one row each, written at its commit by
 * audit_flush, with the order it committed in (a number drawn then). The chain takes them in
 * that order, so of two writers of one row the later image is chained last.
 */
export const auditPendingTx = pgTable('audit_pending_tx', {
  tx: bigint('tx', { mode: 'number' }).primaryKey(),
  ord: bigint('ord', { mode: 'number' }),
});
