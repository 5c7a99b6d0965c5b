import { Hono } from 'hono';
import type { CloudContext } from '../context.ts';
import { jsonBody } from '../http/errors.ts';
import { refusalMessage } from '../../shared/rules/reasons.ts';
import { bindCredential, bindRequest, explainQuery, explainTicket, getTicket, revokeRequest, revokeTicket } from './service.ts';

export function ticketRoutes(ctx: CloudContext) {
  return new Hono()
    .get('/:id', async (c) => c.json(await getTicket(ctx, c.req.param('id'))))
    .post('/:id/credentials', async (c) => c.json(await bindCredential(ctx, c.req.param('id'), bindRequest.parse(await jsonBody(c))), 201))
    .post('/:id/revoke', async (c) => c.json(await revokeTicket(ctx, c.req.param('id'), revokeRequest.parse(await jsonBody(c)).reason)))
    .get('/:id/explain', async (c) => {
      const { verdict, mode } = await explainTicket(ctx, c.req.param('id'), explainQuery.parse(c.req.query()));
      const message = verdict.admit ? null : refusalMessage(verdict.reason, { ...verdict.detail, tz: ctx.config.timeZone });
      const messageEn = verdict.admit ? null : refusalMessage(verdict.reason, { ...verdict.detail, tz: ctx.config.timeZone }, 'en');
      return c.json({ mode, verdict, message, messageEn });
    });
}
