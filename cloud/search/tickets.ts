import { and, eq, gt, inArray, isNotNull, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { credentials, sales, tickets, ticketTypes } from '../db/schema/index.ts';
import { anyOf, cursorParam, dayParam, limitParam, onDays, page, pageView, searchText, siteParam, sortParam, uuidParam } from './paging.ts';

export const TICKET_STATES = ['valid', 'expired', 'revoked'] as const;

export const ticketsQuery = z.object({
  type: z.string().regex(/^[a-z0-9_-]{1,32}$/).optional().describe('Ticket type code'),
  state: anyOf(TICKET_STATES).optional().describe('valid (not revoked, not expired), expired, revoked'),
  site: siteParam.optional(),
  order: uuidParam.optional(),
  sale: uuidParam.optional(),
  from: dayParam.optional().describe('Issued on or after this business day'),
  to: dayParam.optional().describe('Issued on or before this business day'),
  q: searchText.optional().describe('Ticket id (or its start), or a bound barcode, card UID or ID card number'),
  sort: sortParam(['issuedAt', 'validUntil'], '-issuedAt'),
  limit: limitParam,
  cursor: cursorParam,
}).strict();

export const ticketItem = z.object({
  id: z.string(),
  site: z.string(),
  type: z.string(),
  typeName: z.string(),
  saleId: z.string(),
  orderId: z.string().nullable(),
  persons: z.number().int(),
  entries: z.number().int().describe('Entries it grants; 0 = unlimited'),
  enteredPersons: z.number().int().describe('Persons admitted on it so far (entries in)'),
  priceFen: z.number().int(),
  validFrom: z.string(),
  validUntil: z.string(),
  state: z.enum(TICKET_STATES),
  revokedReason: z.string().nullable(),
  credentials: z.array(z.object({ kind: z.string(), value: z.string() })),
  issuedAt: z.string(),
}).meta({ id: 'TicketSummary' });
export const ticketsPage = pageView(ticketItem).meta({ id: 'TicketPage' });

export async function searchTickets(ctx: CloudContext, q: z.output<typeof ticketsQuery>) {
  const now = new Date(ctx.now());
  const where: (SQL | undefined)[] = [];
  if (q.type) where.push(eq(ticketTypes.code, q.type));
  if (q.site) where.push(eq(tickets.site, q.site));
  if (q.sale) where.push(eq(tickets.saleId, q.sale));
  if (q.order) where.push(eq(sales.orderId, q.order));
  if (q.state) {
    const states: Record<(typeof TICKET_STATES)[number], SQL> = {
      valid: and(isNull(tickets.revokedReason), gt(tickets.validUntil, now))!,
      expired: and(isNull(tickets.revokedReason), lte(tickets.validUntil, now))!,
      revoked: isNotNull(tickets.revokedReason),
    };
    where.push(or(...q.state.map((s) => states[s])));
  }
  where.push(...onDays(tickets.issuedAt, q.from, q.to, ctx.config.timeZone));
  if (q.q) {
    // A whole ticket id is found by its key; the start of one (as read out) by a scan.
    const whole = uuidParam.safeParse(q.q.toLowerCase());
    const text = q.q.replace(/[\\%_]/g, '');
    where.push(or(
      whole.success ? eq(tickets.id, whole.data) : sql`${tickets.id}::text like ${`${text.toLowerCase()}%`}`,
      sql`${tickets}.id in (select c.ticket_id from ${credentials} c where c.value = ${q.q})`,
    ));
  }
  const row = {
    ticket: tickets, type: ticketTypes.code, typeName: ticketTypes.name, orderId: sales.orderId,
    enteredPersons: sql<number>`(select coalesce(sum(e.persons), 0) from entries e where e.ticket_id = ${tickets}.id and e.direction = 'in')`.mapWith(Number),
  };
  type Row = { ticket: typeof tickets.$inferSelect; type: string; typeName: string; orderId: string | null; enteredPersons: number };
  const p = await page<Row>({
    sorts: {
      issuedAt: { column: tickets.issuedAt, value: (r) => r.ticket.issuedAt },
      validUntil: { column: tickets.validUntil, value: (r) => r.ticket.validUntil },
    },
    sort: q.sort, id: tickets.id, idOf: (r) => r.ticket.id, cursor: q.cursor, limit: q.limit,
    run: (after, orderBy, n) => ctx.db.select(row).from(tickets)
      .innerJoin(ticketTypes, eq(ticketTypes.id, tickets.typeId))
      .innerJoin(sales, eq(sales.id, tickets.saleId))
      .where(and(...where, after)).orderBy(...orderBy).limit(n),
  });
  const ids = p.items.map((r) => r.ticket.id);
  const creds = ids.length ? await ctx.db.select().from(credentials).where(inArray(credentials.ticketId, ids)) : [];
  return {
    items: p.items.map(({ ticket: t, ...r }) => ({
      id: t.id, site: t.site, type: r.type, typeName: r.typeName, saleId: t.saleId, orderId: r.orderId,
      persons: t.persons, entries: t.entries, enteredPersons: r.enteredPersons, priceFen: t.priceFen,
      validFrom: t.validFrom.toISOString(), validUntil: t.validUntil.toISOString(),
      state: t.revokedReason ? 'revoked' as const : t.validUntil.getTime() > now.getTime() ? 'valid' as const : 'expired' as const,
      revokedReason: t.revokedReason,
      credentials: creds.filter((c) => c.ticketId === t.id).map((c) => ({ kind: c.kind, value: c.value })),
      issuedAt: t.issuedAt.toISOString(),
    })),
    next: p.next,
  };
}
