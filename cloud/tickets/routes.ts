import { Hono } from 'hono';
import type { CloudContext } from '../context.ts';
import { jsonBody } from '../http/errors.ts';
import { refusalMessage } from '../../shared/rules/reasons.ts';
import type { Verdict } from '../../shared/rules/decide.ts';
import { bindCredential, bindRequest, explainCredential, explainCredentialRequest, explainQuery, explainTicket, getTicket, revokeRequest, revokeTicket } from './service.ts';

export function ticketRoutes(ctx: CloudContext) {
  const messages = (verdict: Verdict) => (verdict.admit ? { message: null, messageEn: null } : {
    message: refusalMessage(verdict.reason, { ...verdict.detail, tz: ctx.config.timeZone }),
    messageEn: refusalMessage(verdict.reason, { ...verdict.detail, tz: ctx.config.timeZone }, 'en'),
  });
  return new Hono()
    .post('/explain', async (c) => {
      const r = await explainCredential(ctx, explainCredentialRequest.parse(await jsonBody(c)));
      return c.json({ ...r, ...messages(r.verdict) });
    })
    .get('/:id', async (c) => c.json(await getTicket(ctx, c.req.param('id'))))
    .post('/:id/credentials', async (c) => c.json(await bindCredential(ctx, c.req.param('id'), bindRequest.parse(await jsonBody(c))), 201))
    .post('/:id/revoke', async (c) => c.json(await revokeTicket(ctx, c.req.param('id'), revokeRequest.parse(await jsonBody(c)).reason)))
    .get('/:id/explain', async (c) => {
      const r = await explainTicket(ctx, c.req.param('id'), explainQuery.parse(c.req.query()));
      return c.json({ ...r, ...messages(r.verdict) });
    });
}
