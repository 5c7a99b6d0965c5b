import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { refusalMessage } from '../../shared/rules/reasons.ts';
import { bindCredential, bindRequest, explainQuery, explainTicket, getTicket, revokeRequest, revokeTicket } from './service.ts';

const id = z.object({ id: z.string() });
export const ticketView = z.object({
  id: z.string(), saleId: z.string(), site: z.string(), typeId: z.number().int(), type: z.string().describe('Type code'),
  keyId: z.string(), code: z.string().describe('Signed ticket code (for the QR)'),
  validFrom: z.string(), validUntil: z.string(), persons: z.number().int(), entries: z.number().int().describe('0 = unlimited'),
  priceFen: z.number().int(), revokedReason: z.string().nullable(), issuedAt: z.string(),
  credentials: z.array(z.object({ kind: z.string(), value: z.string() })),
  used: z.object({ entries: z.number().int(), persons: z.number().int() }),
}).meta({ id: 'Ticket' });

export function ticketRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/:id', endpoint({ summary: '票 / a ticket with its credentials and how often it was used', params: id, responses: { 200: ticketView } }),
      async (c) => c.json(await getTicket(ctx, c.req.valid('param').id)))
    .post('/:id/credentials', endpoint({ summary: '绑定 / bind a barcode, card UID or ID card number', params: id, body: bindRequest, responses: { 201: z.object({ ticketId: z.string(), kind: z.string(), value: z.string() }) } }),
      async (c) => c.json(await bindCredential(ctx, c.req.valid('param').id, c.req.valid('json')), 201))
    .post('/:id/revoke', endpoint({ summary: '作废 / revoke a ticket: refused at every gate from the next pull', params: id, body: revokeRequest, responses: { 200: z.object({ ticketId: z.string(), revoked: z.string() }) } }),
      async (c) => c.json(await revokeTicket(ctx, c.req.valid('param').id, c.req.valid('json').reason)))
    .get('/:id/explain', endpoint({ summary: '判定说明 / what a gate would decide now, and why', params: id, query: explainQuery }),
      async (c) => {
        const { verdict, mode } = await explainTicket(ctx, c.req.valid('param').id, c.req.valid('query'));
        const message = verdict.admit ? null : refusalMessage(verdict.reason, { ...verdict.detail, tz: ctx.config.timeZone });
        const messageEn = verdict.admit ? null : refusalMessage(verdict.reason, { ...verdict.detail, tz: ctx.config.timeZone }, 'en');
        return c.json({ mode, verdict, message, messageEn });
      });
}
