import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { SAMPLE_TICKET, templateLayout, TemplateError, ticketPreviewPng, type TemplateLayout, type TicketPrintData } from '../../shared/template/index.ts';
import { text } from '../../shared/text/control.ts';
import type { CloudContext } from '../context.ts';
import { credentials, sales, tickets, ticketTypes } from '../db/schema/index.ts';
import { ticketTemplates } from '../db/schema/templates.ts';
import { AppError, notFound } from '../http/errors.ts';
import { appendChanges } from '../sync/changes.ts';

const templateCode = z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lower-case letters, digits, - or _, up to 32');

export const newTemplate = z.strictObject({
  code: templateCode,
  name: text({ min: 1, max: 64 }),
  /** Code of the ticket type it prints; null or absent: the default for types without their own. */
  type: z.string().min(1).max(32).nullable().default(null),
  layout: templateLayout,
});

export const templateEdit = z.strictObject({
  name: text({ min: 1, max: 64 }).optional(),
  type: z.string().min(1).max(32).nullable().optional(),
  layout: templateLayout,
  /** The version the edit was made on: when another edit came first, 409 instead of overwriting it. */
  baseVersion: z.number().int().positive().optional(),
});

export const previewRequest = z.strictObject({
  layout: templateLayout,
  ticket: z.string().uuid().optional(),
});

export type TicketTemplate = typeof ticketTemplates.$inferSelect;

export interface TemplateView {
  code: string;
  version: number;
  name: string;
  type: string | null;
  layout: TemplateLayout;
  createdAt: string;
}

/** HTTP status for a template that cannot print: the input is fine JSON but cannot be laid out. */
export function templateError(err: unknown): never {
  if (err instanceof TemplateError) throw new AppError(`template_${err.code}`, err.message, 422, err.context);
  throw err;
}

async function typeIdOf(ctx: CloudContext, code: string | null): Promise<number | null> {
  if (code === null) return null;
  const [row] = await ctx.db.select({ id: ticketTypes.id }).from(ticketTypes).where(eq(ticketTypes.code, code));
  if (!row) throw new AppError('unknown_type', `no ticket type ${code}`, 400, { type: code });
  return row.id;
}

async function view(ctx: CloudContext, row: TicketTemplate): Promise<TemplateView> {
  let type: string | null = null;
  if (row.typeId !== null) {
    const [t] = await ctx.db.select({ code: ticketTypes.code }).from(ticketTypes).where(eq(ticketTypes.id, row.typeId));
    type = t?.code ?? null;
  }
  return { code: row.code, version: row.version, name: row.name, type, layout: row.layout, createdAt: row.createdAt.toISOString() };
}

/** A template is refused at save time when the sample ticket cannot be printed with it. */
async function checkPrintable(ctx: CloudContext, layout: TemplateLayout): Promise<void> {
  await ticketPreviewPng(layout, SAMPLE_TICKET, { timeZone: ctx.config.timeZone }).catch(templateError);
}

/** Writes one version and its change-log row in one transaction; every device gets it. */
async function writeVersion(ctx: CloudContext, row: { code: string; name: string; typeId: number | null; layout: TemplateLayout }, expect: { exists: boolean; baseVersion?: number }): Promise<TicketTemplate> {
  const saved = await ctx.db.transaction(async (tx) => {
    // One writer per template code at a time: concurrent edits get consecutive versions, or a 409.
    await tx.execute(sql`select pg_advisory_xact_lock(7302, hashtext(${row.code}))`);
    const [latest] = await tx.select({ version: ticketTemplates.version }).from(ticketTemplates)
      .where(eq(ticketTemplates.code, row.code)).orderBy(desc(ticketTemplates.version)).limit(1);
    if (!expect.exists && latest) throw new AppError('duplicate', `template already exists: ${row.code}`, 409, { template: row.code });
    if (expect.exists && !latest) throw notFound('template', row.code);
    if (expect.baseVersion !== undefined && latest && latest.version !== expect.baseVersion) {
      throw new AppError('version_conflict', `template ${row.code} is at version ${latest.version}, the edit was made on ${expect.baseVersion}`, 409, { version: latest.version });
    }
    const version = (latest?.version ?? 0) + 1;
    const [inserted] = await tx.insert(ticketTemplates).values({ ...row, version, createdAt: new Date(ctx.now()) }).returning();
    await appendChanges(tx, '*', [{ kind: 'template', code: row.code, version, name: row.name, typeId: row.typeId, layout: row.layout }]);
    return inserted!;
  });
  return saved;
}

export async function createTemplate(ctx: CloudContext, input: z.input<typeof newTemplate>): Promise<TemplateView> {
  const t = newTemplate.parse(input);
  const typeId = await typeIdOf(ctx, t.type);
  await checkPrintable(ctx, t.layout);
  return view(ctx, await writeVersion(ctx, { code: t.code, name: t.name, typeId, layout: t.layout }, { exists: false }));
}

/** An edit is a new version; the previous ones stay readable. */
export async function editTemplate(ctx: CloudContext, code: string, input: z.input<typeof templateEdit>): Promise<TemplateView> {
  const e = templateEdit.parse(input);
  const current = await latestRow(ctx, code);
  const typeId = e.type === undefined ? current.typeId : await typeIdOf(ctx, e.type);
  await checkPrintable(ctx, e.layout);
  return view(ctx, await writeVersion(ctx, { code, name: e.name ?? current.name, typeId, layout: e.layout }, { exists: true, baseVersion: e.baseVersion }));
}

async function latestRow(ctx: CloudContext, code: string): Promise<TicketTemplate> {
  if (!templateCode.safeParse(code).success) throw notFound('template', code);
  const [row] = await ctx.db.select().from(ticketTemplates).where(eq(ticketTemplates.code, code)).orderBy(desc(ticketTemplates.version)).limit(1);
  if (!row) throw notFound('template', code);
  return row;
}

export async function getTemplate(ctx: CloudContext, code: string, version?: number): Promise<TemplateView> {
  if (version === undefined) return view(ctx, await latestRow(ctx, code));
  if (!templateCode.safeParse(code).success) throw notFound('template', code);
  const [row] = await ctx.db.select().from(ticketTemplates).where(and(eq(ticketTemplates.code, code), eq(ticketTemplates.version, version)));
  if (!row) throw notFound('template version', `${code}@${version}`);
  return view(ctx, row);
}

export async function listVersions(ctx: CloudContext, code: string) {
  await latestRow(ctx, code);
  const rows = await ctx.db.select({ version: ticketTemplates.version, name: ticketTemplates.name, createdAt: ticketTemplates.createdAt })
    .from(ticketTemplates).where(eq(ticketTemplates.code, code)).orderBy(asc(ticketTemplates.version));
  return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
}

/** The newest version of every template. */
export async function listTemplates(ctx: CloudContext): Promise<TemplateView[]> {
  const rows = await ctx.db.selectDistinctOn([ticketTemplates.code]).from(ticketTemplates)
    .orderBy(asc(ticketTemplates.code), desc(ticketTemplates.version));
  return Promise.all(rows.map((r) => view(ctx, r)));
}

/** What a template prints about a sold ticket. The site's code stands for its name until sites have names. */
export async function ticketPrintData(ctx: CloudContext, ticketId: string): Promise<TicketPrintData> {
  if (!z.string().uuid().safeParse(ticketId).success) throw notFound('ticket', ticketId);
  const [row] = await ctx.db.select({ t: tickets, typeName: ticketTypes.name }).from(tickets)
    .innerJoin(ticketTypes, eq(ticketTypes.id, tickets.typeId)).innerJoin(sales, eq(sales.id, tickets.saleId))
    .where(eq(tickets.id, ticketId));
  if (!row) throw notFound('ticket', ticketId);
  const [barcode] = await ctx.db.select({ value: credentials.value }).from(credentials)
    .where(and(eq(credentials.ticketId, ticketId), eq(credentials.kind, 'barcode'))).limit(1);
  const t = row.t;
  return {
    ticketId: t.id, code: t.code, typeName: row.typeName, priceFen: t.priceFen,
    validFrom: t.validFrom.getTime(), validUntil: t.validUntil.getTime(), persons: t.persons, entries: t.entries,
    orderNo: t.saleId, siteName: t.site, issuedAt: t.issuedAt.getTime(), barcode: barcode?.value,
  };
}

/** PNG of a layout for a ticket (a sample when none is named). */
export async function previewPng(ctx: CloudContext, layout: TemplateLayout, ticketId?: string): Promise<Buffer> {
  const data = ticketId ? await ticketPrintData(ctx, ticketId) : SAMPLE_TICKET;
  return ticketPreviewPng(layout, data, { timeZone: ctx.config.timeZone }).catch(templateError);
}
