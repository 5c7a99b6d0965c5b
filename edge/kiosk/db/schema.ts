import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Paid bookings of this kiosk's site whose visit day has not passed, from the change log
 * (kind `booking`), so pickup works while HQ is out of reach. Phone and ID number are only
 * lookup hashes (shared/booking/lookup.ts).
 */
export const bookings = sqliteTable('bookings', {
  orderNo: text('order_no').primaryKey(),
  pickupCode: text('pickup_code').notNull(),
  visitDay: text('visit_day').notNull(),
  /** End of the visit day, unix s: the row is dropped after it. */
  validUntil: integer('valid_until').notNull(),
  state: text('state').notNull(),
  phoneHash: text('phone_hash').notNull(),
  phoneLast4: text('phone_last4').notNull(),
  idHash: text('id_hash'),
  contactName: text('contact_name').notNull(),
  /** Change-log sequence number this row came with. */
  seq: integer('seq').notNull(),
}, (t) => [
  index('bookings_pickup_code_idx').on(t.pickupCode),
  index('bookings_phone_idx').on(t.phoneHash),
  index('bookings_id_idx').on(t.idHash),
]);

/** Tickets of the cached bookings, with their signed codes (what gets printed). */
export const bookingTickets = sqliteTable('booking_tickets', {
  ticketId: text('ticket_id').primaryKey(),
  orderNo: text('order_no').notNull(),
  code: text('code').notNull(),
  typeId: integer('type_id').notNull(),
  persons: integer('persons').notNull(),
}, (t) => [index('booking_tickets_order_idx').on(t.orderNo), index('booking_tickets_code_idx').on(t.code)]);

/** Ticket types as HQ last listed them: names for printing, prices for the self-service sale. */
export const ticketTypes = sqliteTable('ticket_types', {
  typeId: integer('type_id').primaryKey(),
  code: text('code').notNull(),
  name: text('name').notNull(),
  priceFen: integer('price_fen').notNull(),
  persons: integer('persons').notNull(),
  entries: integer('entries').notNull(),
  validityDays: integer('validity_days').notNull(),
});

/** HQ's public keys (kind `key`): the kiosk reads validity and persons from the signed codes it prints. */
export const issuerKeys = sqliteTable('issuer_keys', {
  keyId: text('key_id').primaryKey(),
  publicKey: text('public_key').notNull(),
});

/** Print templates from the change log (kind `template`), JSON as HQ sent it. */
export const templates = sqliteTable('templates', {
  key: text('key').primaryKey(),
  body: text('body').notNull(),
  seq: integer('seq').notNull(),
});

/**
 * Pickups made here. `printed` lists the ticket ids printed so far (JSON): a pickup cut short
 * by the printer resumes with the rest and never prints a ticket twice. A pickup is a fact
 * (and goes to the outbox) once its first ticket is printed.
 */
export const pickups = sqliteTable('pickups', {
  pickupId: text('pickup_id').primaryKey(),
  orderNo: text('order_no').notNull(),
  /** printing -> done */
  state: text('state').notNull(),
  printed: text('printed').notNull(),
  total: integer('total').notNull(),
  /** Where the booking was found: hq or cache. */
  source: text('source').notNull(),
  createdAt: integer('created_at').notNull(),
  doneAt: integer('done_at'),
  /** HQ's answer once acknowledged: picked_up, duplicate, cancelled, not_paid, unknown_booking, rejected. */
  hqResult: text('hq_result'),
}, (t) => [index('pickups_order_idx').on(t.orderNo)]);

/** Durable queue of pickups for HQ: a row leaves only when HQ has recorded it. */
export const outbox = sqliteTable('outbox', {
  seq: integer('seq').primaryKey({ autoIncrement: true }),
  pickupId: text('pickup_id').notNull().unique(),
  body: text('body').notNull(),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: integer('next_attempt_at').notNull(),
  lastError: text('last_error'),
  createdAt: integer('created_at').notNull(),
});

/**
 * Self-service sales. The attempt id is stored before anything is charged and is the
 * payment's idempotency key at HQ and the provider: a retry never charges twice.
 * new -> paid (tickets stored) -> done (all printed); new -> failed.
 */
export const sales = sqliteTable('sales', {
  attemptId: text('attempt_id').primaryKey(),
  items: text('items').notNull(),
  amountFen: integer('amount_fen').notNull(),
  state: text('state').notNull(),
  /** Tickets HQ issued, JSON, once paid. */
  tickets: text('tickets'),
  printed: text('printed').notNull().default('[]'),
  error: text('error'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** Wristband wallets opened or topped up here (一卡通): stored before paying, the attempt is HQ's and the provider's idempotency key. */
export const walletAttempts = sqliteTable('wallet_attempts', {
  attemptId: text('attempt_id').primaryKey(),
  bandUid: text('band_uid').notNull(),
  /** issue (deposit + balance on a new band) or topup. */
  kind: text('kind').notNull(),
  depositFen: integer('deposit_fen').notNull(),
  topUpFen: integer('top_up_fen').notNull(),
  amountFen: integer('amount_fen').notNull(),
  /** new, paid, failed. */
  state: text('state').notNull(),
  /** HQ's answer once paid (balance, deposit), JSON. */
  result: text('result'),
  printed: integer('printed', { mode: 'boolean' }).notNull().default(false),
  error: text('error'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export const meta = sqliteTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
