import { Hono } from 'hono';
import { maybeUser } from '../auth/middleware.ts';
import type { CloudContext } from '../context.ts';
import { AppError, jsonBody } from '../http/errors.ts';
import { cardView, findMembers, issueCard, issueRequest, memberQuery, reissueCard, reissueRequest, renewCard, renewRequest } from './service.ts';

/** Member, local-resident and staff cards (users: administrator, marketing, seller; see auth/policy.ts). */
export function memberRoutes(ctx: CloudContext) {
  return new Hono()
    .get('/', async (c) => c.json(await findMembers(ctx, memberQuery.parse(c.req.query()))))
    .post('/cards', async (c) => {
      const key = c.req.header('Idempotency-Key');
      if (key !== undefined && !/^[\x21-\x7e]{1,128}$/.test(key)) throw new AppError('invalid_idempotency_key', 'Idempotency-Key must be 1-128 printable characters');
      return c.json(await issueCard(ctx, issueRequest.parse(await jsonBody(c)), { userId: maybeUser(c)?.id, idempotencyKey: key }), 201);
    })
    .get('/cards/:cardNo', async (c) => c.json(await cardView(ctx, c.req.param('cardNo'))))
    .post('/cards/:cardNo/renew', async (c) => c.json(await renewCard(ctx, c.req.param('cardNo'), renewRequest.parse(await jsonBody(c)), { userId: maybeUser(c)?.id })))
    .post('/cards/:cardNo/reissue', async (c) => c.json(await reissueCard(ctx, c.req.param('cardNo'), reissueRequest.parse(await jsonBody(c)), { userId: maybeUser(c)?.id }), 201));
}
