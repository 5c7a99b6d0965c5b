import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { AppError, notFound } from '../http/errors.ts';
import type { Db } from '../db/open.ts';
import { ticketTypes } from '../db/schema/index.ts';

export const newTicketType = z.object({
  code: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lower-case letters, digits, - or _, up to 32'),
  name: z.string().min(1).max(64),
  priceFen: z.number().int().min(0).max(100_000_000),
  validityDays: z.number().int().min(1).max(3660),
  entries: z.number().int().min(0).max(10_000),
  persons: z.number().int().min(1).max(1000),
});
export type NewTicketType = z.infer<typeof newTicketType>;
export type TicketType = typeof ticketTypes.$inferSelect;

export async function createTicketType(db: Db, input: NewTicketType): Promise<TicketType> {
  const rows = await db.insert(ticketTypes).values(input).onConflictDoNothing().returning();
  if (!rows[0]) throw new AppError('duplicate', `ticket type already exists: ${input.code}`, 409, { code: input.code });
  return rows[0];
}

export function listTicketTypes(db: Db): Promise<TicketType[]> {
  return db.select().from(ticketTypes).orderBy(asc(ticketTypes.id));
}

export async function ticketTypeByCode(db: Db, code: string): Promise<TicketType> {
  const [row] = await db.select().from(ticketTypes).where(eq(ticketTypes.code, code));
  if (!row) throw notFound('ticket type', code);
  return row;
}
