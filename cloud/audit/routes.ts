import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import { AppError } from '../http/errors.ts';
import type { CloudEnv } from '../http/env.ts';
import { requestLocale } from '../http/localise.ts';
import { verifyAudit } from './verify.ts';
import type { Anchor } from './anchor.ts';
import { auditAnchor } from '../../shared/hub/anchors.ts';

const json = z.unknown().describe('A value as the row or the record holds it');
export const auditFindingView = z.object({
  kind: z.string().describe('no_trigger, trigger_disabled, trigger_changed, unlisted_trigger, record_missing, chain_broken, record_edited, row_inserted, row_deleted, row_edited, forbidden_change, forbidden_delete, shift_report, tail_deleted, chain_recomputed, anchor_invalid, anchor_missing'),
  problem: z.string().describe('What was found, in the request\'s language'),
  seq: z.number().int().optional().describe('The audit record concerned'),
  table: z.string().optional(),
  key: z.string().optional().describe('The row: its key columns joined by /'),
  column: z.string().optional(),
  logged: json.optional().describe('The value in the audit chain'),
  current: json.optional().describe('The value in the table now'),
  subject: z.string().optional(),
}).meta({ id: 'AuditFinding' });

export const auditVerdictView = z.object({
  ok: z.boolean(),
  records: z.number().int(),
  head: z.string().describe('Hash of the newest record'),
  headSeq: z.number().int(),
  rows: z.number().int().describe('Rows of audited tables compared with their images'),
  anchor: z.object({ seq: z.number().int(), hash: z.string(), at: z.number().int() }).nullable().describe('The newest signed head the chain was checked against; null: none found'),
  ms: z.number().int(),
  problems: z.array(auditFindingView),
}).meta({ id: 'AuditVerdict' });

const anchorView = z.object({
  v: z.literal(1), seq: z.number().int(), hash: z.string(), at: z.number().int().describe('Signed at (ms)'), keyId: z.string(), sig: z.string().describe('Ed25519, base64'),
}).meta({ id: 'AuditAnchor' });

/** The verdict with HQ's own anchors and those given (a hub's copy), in the request's language. */
async function verdict(ctx: CloudContext, en: boolean, extra: Anchor[]) {
  const v = await verifyAudit(ctx.db, { anchors: ctx.audit && { list: [...ctx.audit.anchors(), ...extra], keys: ctx.audit.keys } });
  return { ...v, problems: v.problems.map(({ problemEn, ...p }) => (en ? { ...p, problem: problemEn } : p)) };
}

export function auditRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/verify', endpoint({
      summary: '审计链校验 / check the audit chain and every audited row',
      description: 'Walks the chain, checks every row of an audited table (cloud/audit/tables.ts) against its newest image and every recorded change against what may change. Findings name table, key and column.',
      responses: { 200: auditVerdictView },
    }), async (c) => c.json(await verdict(ctx, requestLocale(c) === 'en', [])))
    .post('/verify', endpoint({
      summary: '以站点副本校验审计链 / check the chain also against signed heads kept elsewhere (a site hub\'s copy)',
      description: 'As GET /audit/verify, with `anchors` added to the anchor file\'s (e.g. GET /api/v1/hub/anchors at a site hub): an anchor counts only with a valid signature of HQ\'s anchor key, so the copy needs no trust, and a deleted tail is found even when the anchor file went with it.',
      body: z.object({ anchors: z.array(auditAnchor).max(100_000) }).strict(),
      responses: { 200: auditVerdictView },
    }), async (c) => c.json(await verdict(ctx, requestLocale(c) === 'en', c.req.valid('json').anchors)))
    .post('/anchors', endpoint({
      summary: '立即签署审计链头 / sign the chain\'s head now (before a risky change, at a day\'s close)',
      responses: { 200: anchorView },
    }), async (c) => {
      const a = await ctx.audit?.anchorNow();
      if (!a) throw new AppError('audit_unanchored', 'no audit anchorer or an empty chain', 409);
      return c.json(a);
    });
}
