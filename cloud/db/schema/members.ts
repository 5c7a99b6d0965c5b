import { bigint, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { ticketTypes } from './catalog.ts';
import { tickets } from './sales.ts';

/** Card holders: members, local residents, staff. */
export const members = pgTable('members', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  /** M or F; null when not given. */
  sex: text('sex'),
  phone: text('phone').notNull(),
  idNumber: text('id_number'),
  /** Staff cards: the employee number. */
  employeeNo: text('employee_no'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('members_phone_idx').on(t.phone), index('members_id_number_idx').on(t.idNumber)]);

/**
 * A member card (annual, season, month, count, local resident, staff). Its entry right is an
 * ordinary ticket with a signed code (`ticketId`, replaced on every renewal or reissue, the
 * old one revoked), so gates admit it like any other; a card UID is bound to that ticket.
 * `expiresOn` is the last valid day (site business day).
 */
export const memberCards = pgTable('member_cards', {
  id: uuid('id').primaryKey(),
  cardNo: text('card_no').notNull().unique(),
  memberId: uuid('member_id').notNull().references(() => members.id),
  typeId: integer('type_id').notNull().references(() => ticketTypes.id),
  kind: text('kind').notNull(),
  /** active or void (reissued). */
  state: text('state').notNull(),
  /** RFID / IC card UID, bound as a credential of the current ticket. */
  cardUid: text('card_uid'),
  validFrom: text('valid_from').notNull(),
  expiresOn: text('expires_on').notNull(),
  ticketId: uuid('ticket_id').notNull().references(() => tickets.id),
  replacedBy: uuid('replaced_by'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('member_cards_member_idx').on(t.memberId)]);

/** What happened to a card and what it cost: issue, renew, reissue. Append-only. */
export const memberCardEvents = pgTable('member_card_events', {
  id: uuid('id').primaryKey(),
  cardId: uuid('card_id').notNull().references(() => memberCards.id),
  event: text('event').notNull(),
  priceFen: bigint('price_fen', { mode: 'number' }).notNull(),
  expiresBefore: text('expires_before'),
  expiresAfter: text('expires_after').notNull(),
  ticketId: uuid('ticket_id').notNull(),
  saleId: uuid('sale_id'),
  byUserId: uuid('by_user_id'),
  note: text('note'),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('member_card_events_card_idx').on(t.cardId)]);
