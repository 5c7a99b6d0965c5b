import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { idempotency } from '../http/idempotency.ts';
import { cardView, expiringCards, expiringQuery, findMembers, issueCard, issueRequest, memberQuery, reissueCard, reissueRequest, renewCard, renewRequest } from './service.ts';
import { expiringView, memberCardView, membersView } from './views.ts';

const card = z.object({ cardNo: z.string().min(1).max(64) });

/** Member, local-resident and staff cards (users: administrator, marketing, seller; see auth/policy.ts). */
export function memberRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '查找会员 / find members by phone, ID, card or name', query: memberQuery, responses: { 200: membersView } }),
      async (c) => c.json(await findMembers(ctx, c.req.valid('query'))))
    .get('/expiring', endpoint({ summary: '即将到期 / active cards that run out within N days', query: expiringQuery, responses: { 200: expiringView } }),
      async (c) => c.json(await expiringCards(ctx, c.req.valid('query'))))
    .post('/cards', idempotency(ctx, { replay: async (c, ref) => c.json(await cardView(ctx, String(ref.cardNo)), 201) }), endpoint({
      summary: '办卡 / issue a member, resident or staff card', body: issueRequest.meta({ id: 'MemberCardRequest' }), responses: { 201: memberCardView },
    }), async (c) => c.json(await issueCard(ctx, c.req.valid('json'), { userId: c.get('user')?.id, idem: c.get('idempotency') }), 201))
    .get('/cards/:cardNo', endpoint({ summary: '会员卡 / a card', params: card, responses: { 200: memberCardView } }),
      async (c) => c.json(await cardView(ctx, c.req.valid('param').cardNo)))
    .post('/cards/:cardNo/renew', idempotency(ctx, { replay: async (c, ref) => c.json(await cardView(ctx, String(ref.cardNo))) }), endpoint({ summary: '续卡 / renew a card', params: card, body: renewRequest, responses: { 200: memberCardView } }),
      async (c) => c.json(await renewCard(ctx, c.req.valid('param').cardNo, c.req.valid('json'), { userId: c.get('user')?.id, idem: c.get('idempotency') })))
    .post('/cards/:cardNo/reissue', idempotency(ctx, { replay: async (c, ref) => c.json(await cardView(ctx, String(ref.cardNo)), 201) }), endpoint({ summary: '补卡 / reissue a lost or damaged card', params: card, body: reissueRequest, responses: { 201: memberCardView } }),
      async (c) => c.json(await reissueCard(ctx, c.req.valid('param').cardNo, c.req.valid('json'), { userId: c.get('user')?.id, idem: c.get('idempotency') }), 201));
}
