import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, pgTable, serial, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * The customer register: travel agencies and agreement units (协议单位). Money owed and
 * credit live in the customer's account (office.ts `customer_accounts`, linked by
 * `customer_accounts.customer_id`), which a contract creates or updates.
 */
export const customers = pgTable('customers', {
  id: serial('id').primaryKey(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  /** agency (旅行社) or unit (协议单位). */
  kind: text('kind').notNull(),
  contact: text('contact'),
  phone: text('phone'),
  address: text('address'),
  active: boolean('active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A customer's contract: period, category, discount, credit limit, settlement terms. */
export const contracts = pgTable('contracts', {
  id: serial('id').primaryKey(),
  customerId: integer('customer_id').notNull().references(() => customers.id),
  contractNo: text('contract_no').notNull().unique(),
  /** First and last day it is in force (site business days). */
  startDay: text('start_day').notNull(),
  endDay: text('end_day').notNull(),
  /** e.g. agency-a, conference: the account category discounts are limited to. */
  category: text('category').notNull(),
  /** Percent off the list price (0-100). */
  discountPct: integer('discount_pct').notNull().default(0),
  creditLimitFen: bigint('credit_limit_fen', { mode: 'number' }).notNull().default(0),
  /** prepaid, per_order, monthly. */
  settlement: text('settlement').notNull(),
  /** Days after a statement closes within which it is to be paid. */
  settlementDays: integer('settlement_days').notNull().default(30),
  note: text('note'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('contracts_customer_idx').on(t.customerId)]);

/** Guides and drivers who bring groups: their discount, points and rebate per visitor. */
export const guides = pgTable('guides', {
  id: serial('id').primaryKey(),
  /** guide or driver. */
  kind: text('kind').notNull(),
  name: text('name').notNull(),
  phone: text('phone').notNull(),
  idNumber: text('id_number'),
  /** Guide licence or driving licence / plate. */
  licenseNo: text('license_no'),
  /** The agency they work for, if any. */
  customerId: integer('customer_id').references(() => customers.id),
  /** Percent off their own ticket. */
  discountPct: integer('discount_pct').notNull().default(0),
  pointsPerPerson: integer('points_per_person').notNull().default(0),
  rebateFenPerPerson: integer('rebate_fen_per_person').notNull().default(0),
  active: boolean('active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('guides_phone_idx').on(t.phone)]);

/**
 * Groups a guide or driver brought (an order or booking, with its visitors), and what that
 * earned; payouts and redemptions are negative rows. Append-only; balances are sums.
 */
export const guideLedger = pgTable('guide_ledger', {
  id: uuid('id').primaryKey(),
  guideId: integer('guide_id').notNull().references(() => guides.id),
  /** visit, payout (rebate paid out), redeem (points used), correction. */
  entry: text('entry').notNull(),
  /** The order (window) or booking number the visit was for. */
  ref: text('ref'),
  persons: integer('persons').notNull().default(0),
  points: integer('points').notNull().default(0),
  rebateFen: bigint('rebate_fen', { mode: 'number' }).notNull().default(0),
  note: text('note'),
  byUserId: uuid('by_user_id'),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('guide_ledger_guide_idx').on(t.guideId), uniqueIndex('guide_ledger_visit_idx').on(t.guideId, t.ref).where(sql`entry = 'visit'`)]);
