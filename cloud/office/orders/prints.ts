import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { DEFAULT_TEMPLATE, pickTemplate, ticketPreviewPng, ticketToEscPos } from '../../../shared/template/index.ts';
import type { AuthUser } from '../../auth/roles.ts';
import type { CloudContext } from '../../context.ts';
import { shifts, ticketEvents, tickets } from '../../db/schema/index.ts';
import { ticketTemplates } from '../../db/schema/templates.ts';
import { AppError, notFound } from '../../http/errors.ts';
import { templateError, ticketPrintData } from '../../templates/service.ts';
import { uuid } from '../payments/accounts.ts';
import { appendAudit, auditedTx } from '../audit.ts';

export const printRequest = z.object({
  /** Needed from the second print of a ticket on (a reprint is audited with it). */
  reason: z.string().trim().min(2).max(200).optional(),
  /** escpos: the job for a receipt printer (through the window's print bridge); png: the page, for the browser's print. */
  output: z.enum(['escpos', 'png']).default('escpos'),
}).strict();

/** The newest version of each template, as devices hold them, for pickTemplate. */
async function heldTemplates(ctx: CloudContext) {
  return ctx.db.selectDistinctOn([ticketTemplates.code], { code: ticketTemplates.code, version: ticketTemplates.version, typeId: ticketTemplates.typeId, layout: ticketTemplates.layout })
    .from(ticketTemplates).orderBy(ticketTemplates.code, desc(ticketTemplates.version));
}

/**
 * A window prints a ticket: laid out at HQ with the ticket type's template (else the default
 * template, else the built-in layout; the same engine and choice as a kiosk), as ESC/POS or as
 * the PNG the printer would make. Every print is a ticket event of the seller's shift; from the
 * second on it is a reprint, which needs a reason and goes into the audit chain.
 */
export async function printTicket(ctx: CloudContext, user: AuthUser, ticketId: string, input: unknown) {
  const r = printRequest.parse(input);
  if (!uuid.safeParse(ticketId).success) throw notFound('ticket', ticketId);
  const data = await ticketPrintData(ctx, ticketId);
  const [t] = await ctx.db.select({ typeId: tickets.typeId, revoked: tickets.revokedReason }).from(tickets).where(eq(tickets.id, ticketId));
  if (t!.revoked) throw new AppError('ticket_revoked', `票已${t!.revoked === 'refunded' ? '退' : '作废'}，不能打印 / the ticket is ${t!.revoked} and cannot be printed`, 409, { reason: t!.revoked });
  const picked = pickTemplate(await heldTemplates(ctx), t!.typeId);
  const layout = picked?.layout ?? DEFAULT_TEMPLATE;
  const opts = { timeZone: ctx.config.timeZone };
  const bytes = await (r.output === 'escpos' ? ticketToEscPos(layout, data, opts) : ticketPreviewPng(layout, data, opts)).catch(templateError);
  const at = ctx.now();
  const printNo = await auditedTx(ctx.db, async (tx) => {
    // One print at a time per ticket, so two windows cannot both count as the first print.
    await tx.select({ id: tickets.id }).from(tickets).where(eq(tickets.id, ticketId)).for('update');
    const [prior] = await tx.select({ n: sql<number>`count(*)::int` }).from(ticketEvents)
      .where(and(eq(ticketEvents.ticketId, ticketId), inArray(ticketEvents.kind, ['print', 'reprint'])));
    const n = (prior?.n ?? 0) + 1;
    if (n > 1 && !r.reason) throw new AppError('reprint_reason_required', '重打需填写原因 / a reprint needs a reason', 400, { field: 'reason' });
    const [shift] = await tx.select({ id: shifts.id }).from(shifts).where(and(eq(shifts.sellerId, user.id), isNull(shifts.closedAt)));
    const detail = { printNo: n, output: r.output, template: picked ? { code: picked.code, version: picked.version } : null, ...(r.reason ? { reason: r.reason } : {}) };
    await tx.insert(ticketEvents).values({ id: uuidv7(), kind: n > 1 ? 'reprint' : 'print', ticketId, userId: user.id, shiftId: shift?.id ?? null, detail, createdAt: new Date(at) });
    if (n > 1) await appendAudit(tx, { at, actor: user.username, action: 'ticket_reprint', subject: ticketId, body: detail });
    return n;
  });
  return {
    ticketId, printNo, reprint: printNo > 1, output: r.output,
    template: picked ? { code: picked.code, version: picked.version } : null,
    /** The ESC/POS job or the PNG, base64. */
    data: bytes.toString('base64'),
  };
}
