import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { TemplateLayout } from '../../../shared/template/model.ts';
import { ticketTypes } from './catalog.ts';

/**
 * Ticket print templates, versioned: an edit adds a version, old versions stay (a reprint of
 * an old ticket, an audit of what was printed). The newest version of a template is the one in
 * force; a template names the ticket type it prints, or none for the default.
 */
export const ticketTemplates = pgTable('ticket_templates', {
  code: text('code').notNull(),
  version: integer('version').notNull(),
  name: text('name').notNull(),
  typeId: integer('type_id').references(() => ticketTypes.id),
  layout: jsonb('layout').$type<TemplateLayout>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.code, t.version] }), index('ticket_templates_type_idx').on(t.typeId)]);
