import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Tickets this gate knows from the change log. Signed codes pass without a row here. */
export const tickets = sqliteTable('tickets', {
  id: text('id').primaryKey(),
  typeId: integer('type_id').notNull(),
  /** UTC seconds, inclusive / exclusive. */
  validFrom: integer('valid_from').notNull(),
  validUntil: integer('valid_until').notNull(),
  persons: integer('persons').notNull(),
  entries: integer('entries').notNull(),
});

/**
 * Cache-resolved credentials (barcode stock, card UID, ID number) pointing to tickets: card
 * UIDs and ID numbers as keyed hashes (shared/rules/credential.ts). One value may stand for
 * several tickets (an ID card holding tickets for several days); the gate picks among them.
 */
export const credentials = sqliteTable('credentials', {
  kind: text('kind').notNull(),
  value: text('value').notNull(),
  ticketId: text('ticket_id').notNull(),
}, (t) => [primaryKey({ columns: [t.kind, t.value, t.ticketId] })]);

/** The site's devices as HQ provisioned them: a sibling's entries count only for its own lanes. */
export const devices = sqliteTable('devices', {
  device: text('device').primaryKey(),
  role: text('role').notNull(),
  /** JSON array of lane ids. */
  lanes: text('lanes').notNull(),
  active: integer('active', { mode: 'boolean' }).notNull(),
});

/** Revoked tickets, kept apart from `tickets` because a signed code may be revoked unseen. */
export const revocations = sqliteTable('revocations', {
  ticketId: text('ticket_id').primaryKey(),
  reason: text('reason').notNull(),
});

export const issuerKeys = sqliteTable('issuer_keys', {
  keyId: text('key_id').primaryKey(),
  publicKey: text('public_key').notNull(),
  /** A key HQ delegated to a site hub: codes it signed are trusted only if valid no later than this (unix s). */
  notAfter: integer('not_after'),
});

/** Append-only passage log: this gate's own entries and, later, its siblings'. */
export const entries = sqliteTable('entries', {
  nonce: text('nonce').primaryKey(),
  /** Null for emergency passages. */
  ticketId: text('ticket_id'),
  device: text('device').notNull(),
  lane: text('lane').notNull(),
  venue: text('venue').notNull().default('main'),
  direction: text('direction').notNull(),
  kind: text('kind').notNull(),
  persons: integer('persons').notNull(),
  deviceTime: integer('device_time').notNull(),
  correctedTime: integer('corrected_time').notNull(),
}, (t) => [index('entries_ticket_time_idx').on(t.ticketId, t.correctedTime), index('entries_venue_time_idx').on(t.venue, t.correctedTime)]);

/** Rule-engine rules of each ticket type (JSON of shared/rules/model.ts TypeRules). */
export const ticketTypes = sqliteTable('ticket_types', {
  typeId: integer('type_id').primaryKey(),
  rules: text('rules').notNull(),
});

/** Release rules of every lane of the site (JSON of LaneRules), for this lane and for suggestions. */
export const lanes = sqliteTable('lanes', {
  lane: text('lane').primaryKey(),
  rules: text('rules').notNull(),
});

/** Durable upload queue: a row leaves only when HQ acknowledged its sequence number. */
export const outbox = sqliteTable('outbox', {
  seq: integer('seq').primaryKey({ autoIncrement: true }),
  kind: text('kind').notNull(),
  body: text('body').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const meta = sqliteTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/** Commands this gate has seen, so a command sent twice runs once and an old one never runs. */
export const commandLog = sqliteTable('command_log', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  status: text('status').notNull(),
  detail: text('detail'),
  at: integer('at').notNull(),
});

/**
 * Faces bound to tickets (from the change log), for the face check. The embedding is sealed
 * with the gate's own key (AES-256-GCM, see edge/face/seal.ts); rows go when the ticket expires.
 */
export const faces = sqliteTable('faces', {
  ticketId: text('ticket_id').primaryKey(),
  model: text('model').notNull(),
  sealed: blob('sealed', { mode: 'buffer' }).notNull(),
  /** UTC seconds, as the ticket's validUntil. */
  validUntil: integer('valid_until').notNull(),
}, (t) => [index('faces_valid_until_idx').on(t.validUntil)]);

/**
 * Fingerprint templates bound to tickets (from the change log), sealed like faces. `page` is
 * the library page of the gate's fingerprint module that holds it (for 1:N search), null
 * while it is not (yet) written there or the module is full.
 */
export const fingerprints = sqliteTable('fingerprints', {
  ticketId: text('ticket_id').primaryKey(),
  format: text('format').notNull(),
  sealed: blob('sealed', { mode: 'buffer' }).notNull(),
  validUntil: integer('valid_until').notNull(),
  page: integer('page'),
}, (t) => [index('fingerprints_valid_until_idx').on(t.validUntil), uniqueIndex('fingerprints_page_idx').on(t.page)]);

/** Capacity and slot rules of the site's venues (JSON of shared/rules/model.ts VenueRules). */
export const venues = sqliteTable('venues', {
  venue: text('venue').primaryKey(),
  rules: text('rules').notNull(),
});

/** The time slot each ticket was sold for, site-local HH:MM on its visit day (分时预约). */
export const ticketSlots = sqliteTable('ticket_slots', {
  ticketId: text('ticket_id').primaryKey(),
  slotFrom: text('slot_from').notNull(),
  slotTo: text('slot_to').notNull(),
});
