import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { refusalMessage } from '../../shared/rules/reasons.ts';
import type { Verdict } from '../../shared/rules/decide.ts';
import { bindCredential, bindRequest, explainCredential, explainCredentialRequest, explainQuery, explainTicket, getTicket, revokeRequest, revokeTicket } from './service.ts';

const id = z.object({ id: z.string() });
export const ticketView = z.object({
  id: z.string(), saleId: z.string(), site: z.string(), typeId: z.number().int(), type: z.string().describe('Type code'),
  keyId: z.string(), code: z.string().describe('Signed ticket code (for the QR)'),
  validFrom: z.string(), validUntil: z.string(), persons: z.number().int(), entries: z.number().int().describe('0 = unlimited'),
  priceFen: z.number().int(), revokedReason: z.string().nullable(), issuedAt: z.string(),
  credentials: z.array(z.object({ kind: z.string(), value: z.string() })),
  used: z.object({ entries: z.number().int(), persons: z.number().int() }),
}).meta({ id: 'Ticket' });

/** What a gate would decide: the verdict of the shared rule engine, in the mode of the gate serving the lane. */
export const explainView = z.object({
  verdict: z.object({ admit: z.boolean() }).loose().describe('shared/rules/decide.ts Verdict'),
  mode: z.string().describe('The mode of the gate serving the lane'),
  device: z.string().nullable().describe('That gate, or null when no gate serves the lane'),
  message: z.string().nullable(), messageEn: z.string().nullable(),
}).meta({ id: 'Explain' });
export const credentialExplainView = explainView.extend({
  ticketId: z.string().nullable().describe('The ticket the gate would take, of those the credential stands for'),
  among: z.number().int().describe('How many live tickets the credential stands for at this site'),
}).meta({ id: 'CredentialExplain' });

export function ticketRoutes(ctx: CloudContext) {
  const messages = (verdict: Verdict) => (verdict.admit ? { message: null, messageEn: null } : {
    message: refusalMessage(verdict.reason, { ...verdict.detail, tz: ctx.config.timeZone }),
    messageEn: refusalMessage(verdict.reason, { ...verdict.detail, tz: ctx.config.timeZone }, 'en'),
  });
  return new Hono<CloudEnv>()
    .post('/explain', endpoint({ summary: '判定说明 / what a gate at a lane would decide now for a card UID, barcode or ID card number, and which ticket', body: explainCredentialRequest, responses: { 200: credentialExplainView } }),
      async (c) => {
        const r = await explainCredential(ctx, c.req.valid('json'));
        return c.json({ ...r, ...messages(r.verdict) });
      })
    .get('/:id', endpoint({ summary: '票 / a ticket with its credentials and how often it was used', params: id, responses: { 200: ticketView } }),
      async (c) => c.json(await getTicket(ctx, c.req.valid('param').id)))
    .post('/:id/credentials', endpoint({ summary: '绑定 / bind a barcode, card UID or ID card number', params: id, body: bindRequest, responses: { 201: z.object({ ticketId: z.string(), kind: z.string(), value: z.string() }) } }),
      async (c) => c.json(await bindCredential(ctx, c.req.valid('param').id, c.req.valid('json')), 201))
    .post('/:id/revoke', endpoint({ summary: '作废 / revoke a ticket: refused at every gate from the next pull', params: id, body: revokeRequest, responses: { 200: z.object({ ticketId: z.string(), revoked: z.string() }) } }),
      async (c) => c.json(await revokeTicket(ctx, c.req.valid('param').id, c.req.valid('json').reason)))
    .get('/:id/explain', endpoint({ summary: '判定说明 / what a gate at a lane would decide now, and why (in the mode of the gate serving that lane)', params: id, query: explainQuery, responses: { 200: explainView } }),
      async (c) => {
        const r = await explainTicket(ctx, c.req.valid('param').id, c.req.valid('query'));
        return c.json({ ...r, ...messages(r.verdict) });
      });
}
