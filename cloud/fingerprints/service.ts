import { eq, lt } from 'drizzle-orm';
import type { Tx } from '../office/audit.ts';
import type { CloudContext } from '../context.ts';
import { fingerprints, tickets } from '../db/schema/index.ts';
import { ticketFor } from '../faces/service.ts';
import { AppError, notFound } from '../http/errors.ts';
import { appendChanges } from '../sync/changes.ts';

/** Template formats a gate's module can take: the R30x / AS60x character file (512 bytes). */
export const FINGERPRINT_FORMATS = { 'r30x-512': 512 } as const;
export type FingerprintFormat = keyof typeof FINGERPRINT_FORMATS;

/**
 * Binds a fingerprint to a ticket (a member card binds through its ticket): the template the
 * window's module made, never an image. It goes down the change log to the ticket's site only,
 * where gates keep it sealed; a ticket that has ended takes none.
 */
export async function enrolFingerprint(ctx: CloudContext, ticketId: string, template: Buffer, format: FingerprintFormat) {
  const t = await ticketFor(ctx, ticketId);
  const now = ctx.now();
  if (t.revokedReason) throw new AppError('ticket_revoked', `ticket is revoked (${t.revokedReason})`, 409);
  if (t.validUntil.getTime() <= now) throw new AppError('ticket_expired', 'ticket has expired: no fingerprint is kept for it', 409);
  if (template.length !== FINGERPRINT_FORMATS[format]) {
    throw new AppError('bad_template', `a ${format} template is ${FINGERPRINT_FORMATS[format]} bytes, got ${template.length}`, 422);
  }
  const b64 = template.toString('base64');
  const validUntil = Math.floor(t.validUntil.getTime() / 1000);
  const row = { ticketId, site: t.site, format, template: b64, validUntil: t.validUntil, enrolledAt: new Date(now) };
  await ctx.db.transaction(async (tx) => {
    await tx.insert(fingerprints).values(row).onConflictDoUpdate({ target: fingerprints.ticketId, set: { format, template: b64, validUntil: row.validUntil, enrolledAt: row.enrolledAt } });
    await appendChanges(tx, t.site, [{ kind: 'fingerprint', ticketId, format, template: b64, validUntil }]);
  });
  ctx.notify(t.site);
  return { ticketId, format, enrolledAt: now, validUntil };
}

export async function getFingerprint(ctx: CloudContext, ticketId: string) {
  await ticketFor(ctx, ticketId);
  const [f] = await ctx.db.select({ format: fingerprints.format, enrolledAt: fingerprints.enrolledAt, validUntil: fingerprints.validUntil })
    .from(fingerprints).where(eq(fingerprints.ticketId, ticketId));
  if (!f) throw notFound('fingerprint of ticket', ticketId);
  return { ticketId, format: f.format, enrolledAt: f.enrolledAt.getTime(), validUntil: Math.floor(f.validUntil.getTime() / 1000) };
}

/**
 * A member card's finger follows the card to its new ticket (renewal, reissue), in the card's
 * transaction: the old ticket's template is dropped at the gates (one finger, one ticket in a
 * module's 1:N library) and the new one's sent, valid as long as the new ticket. The member
 * is not asked to press again. No fingerprint on the old ticket: nothing to do.
 */
export async function moveFingerprint(tx: Tx, site: string, from: string, to: string): Promise<boolean> {
  const [f] = await tx.delete(fingerprints).where(eq(fingerprints.ticketId, from)).returning();
  if (!f) return false;
  const [t] = await tx.select({ validUntil: tickets.validUntil }).from(tickets).where(eq(tickets.id, to));
  if (!t) throw notFound('ticket', to);
  await tx.insert(fingerprints).values({ ticketId: to, site, format: f.format, template: f.template, validUntil: t.validUntil, enrolledAt: f.enrolledAt })
    .onConflictDoUpdate({ target: fingerprints.ticketId, set: { format: f.format, template: f.template, validUntil: t.validUntil, enrolledAt: f.enrolledAt } });
  await appendChanges(tx, site, [
    { kind: 'fingerprint', ticketId: from, format: f.format, template: null, validUntil: Math.floor(f.validUntil.getTime() / 1000) },
    { kind: 'fingerprint', ticketId: to, format: f.format, template: f.template, validUntil: Math.floor(t.validUntil.getTime() / 1000) },
  ]);
  return true;
}

/** Unbinds the fingerprint; gates drop it (and wipe it from their module) at their next pull. */
export async function removeFingerprint(ctx: CloudContext, ticketId: string) {
  const t = await ticketFor(ctx, ticketId);
  const removed = await ctx.db.transaction(async (tx) => {
    const gone = await tx.delete(fingerprints).where(eq(fingerprints.ticketId, ticketId)).returning({ format: fingerprints.format });
    if (gone.length === 0) return false;
    await appendChanges(tx, t.site, [{ kind: 'fingerprint', ticketId, format: gone[0]!.format, template: null, validUntil: Math.floor(t.validUntil.getTime() / 1000) }]);
    return true;
  });
  if (!removed) throw notFound('fingerprint of ticket', ticketId);
  ctx.notify(t.site);
  return { ticketId, removed: true };
}

/** Deletes the fingerprints of tickets that have ended; gates drop theirs by the same date on their own. */
export async function purgeExpiredFingerprints(ctx: CloudContext): Promise<number> {
  const gone = await ctx.db.delete(fingerprints).where(lt(fingerprints.validUntil, new Date(ctx.now()))).returning({ ticketId: fingerprints.ticketId });
  return gone.length;
}
