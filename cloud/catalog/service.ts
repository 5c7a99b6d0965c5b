import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { typeRules } from '../../shared/rules/model.ts';
import { text } from '../../shared/text/control.ts';
import { AppError, notFound } from '../http/errors.ts';
import type { Db } from '../db/open.ts';
import { ticketTypes } from '../db/schema/index.ts';
import { appendChanges } from '../sync/changes.ts';
import { appendAudit, auditedTx } from '../audit/chain.ts';

export const MEDIA = ['qr_paper', 'qr_phone', 'barcode_stock', 'rfid_card', 'ic_card', 'id_card', 'face'] as const;
export const SALE_METHODS = ['print', 'barcode_activation', 'card_issue', 'id_binding', 'face_binding'] as const;
export const CATEGORIES = ['visitor', 'group', 'member', 'staff', 'guide', 'temporary'] as const;

export const newTicketType = z.object({
  code: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lower-case letters, digits, - or _, up to 32'),
  name: text({ min: 1, max: 64 }),
  priceFen: z.number().int().min(0).max(100_000_000),
  validityDays: z.number().int().min(1).max(3660),
  entries: z.number().int().min(0).max(10_000),
  persons: z.number().int().min(1).max(1000),
  /** Rule-engine rules (kind, weekdays, entry window, per-day limit, re-entry, venues, face). */
  rules: typeRules.default({ kind: 'visitor', faceRequired: false }),
  medium: z.enum(MEDIA).default('qr_paper'),
  saleMethods: z.array(z.enum(SALE_METHODS)).min(1).max(SALE_METHODS.length).default(['print']),
  category: z.enum(CATEGORIES).default('visitor'),
  /** Tickets (persons) sellable per visit day; absent = no limit. */
  dailyCapacity: z.number().int().min(0).max(10_000_000).optional(),
});
export type NewTicketType = z.infer<typeof newTicketType>;

/** What may change on a type without touching the codes already issued. */
export const ticketTypePatch = z.object({
  name: text({ min: 1, max: 64 }).optional(),
  priceFen: z.number().int().min(0).max(100_000_000).optional(),
  saleMethods: z.array(z.enum(SALE_METHODS)).min(1).max(SALE_METHODS.length).optional(),
  dailyCapacity: z.number().int().min(0).max(10_000_000).nullable().optional(),
  active: z.boolean().optional(),
}).strict();

export async function updateTicketType(db: Db, code: string, input: unknown, actor = 'system', now = Date.now()): Promise<TicketType> {
  const p = ticketTypePatch.parse(input);
  const type = await ticketTypeByCode(db, code);
  if (Object.keys(p).length === 0) return type;
  return auditedTx(db, async (tx) => {
    const [row] = await tx.update(ticketTypes).set(p).where(eq(ticketTypes.id, type.id)).returning();
    // What changed, before and after: "adult 120 -> 150" reads from the record alone.
    const before = Object.fromEntries(Object.keys(p).map((k) => [k, type[k as keyof typeof p]]));
    await appendAudit(tx, { at: now, actor, action: 'ticket_type', subject: code, body: { op: 'update', before, after: p } });
    return row!;
  });
}
export type TicketType = typeof ticketTypes.$inferSelect;

/** Creates a type; its rules reach every device through the change log in the same commit. */
export async function createTicketType(db: Db, input: z.input<typeof newTicketType>, actor = 'system', now = Date.now()): Promise<TicketType> {
  const t = newTicketType.parse(input);
  return auditedTx(db, async (tx) => {
    const [row] = await tx.insert(ticketTypes).values({ ...t, saleMethods: [...new Set(t.saleMethods)], dailyCapacity: t.dailyCapacity ?? null }).onConflictDoNothing().returning();
    if (!row) throw new AppError('duplicate', `ticket type already exists: ${t.code}`, 409, { type: t.code });
    await appendChanges(tx, '*', [{ kind: 'type', typeId: row.id, rules: row.rules }]);
    await appendAudit(tx, { at: now, actor, action: 'ticket_type', subject: t.code, body: { op: 'create', name: t.name, priceFen: t.priceFen, category: t.category } });
    return row;
  });
}

export function listTicketTypes(db: Db): Promise<TicketType[]> {
  return db.select().from(ticketTypes).orderBy(asc(ticketTypes.id));
}

export async function ticketTypeByCode(db: Db, code: string): Promise<TicketType> {
  const [row] = await db.select().from(ticketTypes).where(eq(ticketTypes.code, code));
  if (!row) throw notFound('ticket type', code);
  return row;
}
