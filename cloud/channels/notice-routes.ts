import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { getWebhook, listNotices, noticeView, retryNotice, setWebhook, webhookRequest, webhookView } from './notices.ts';

const code = z.object({ code: z.string().regex(/^[a-z0-9_-]{1,32}$/) });

/** A channel's webhook for notices and its delivery log (administrator, marketing), under /channels/admin. */
export function noticeRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/:code/webhook', endpoint({ summary: '渠道通知地址 / where a channel\'s notices go (null: none)', params: code, responses: { 200: webhookView.meta({ id: 'ChannelWebhook' }) } }),
      async (c) => c.json(await getWebhook(ctx, c.req.valid('param').code)))
    .put('/:code/webhook', endpoint({ summary: '渠道通知地址 / where a channel is told of redemptions; the signing secret is returned once when HQ makes it', params: code, body: webhookRequest,
      responses: { 200: z.object({ channel: z.string(), url: z.string(), secret: z.string().optional() }) } }),
      async (c) => c.json(await setWebhook(ctx, c.req.valid('param').code, c.req.valid('json'))))
    .get('/:code/notices', endpoint({ summary: '渠道通知记录 / a channel\'s notice delivery log, newest first', params: code,
      query: z.object({ state: z.enum(['pending', 'delivered', 'failed']).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }),
      responses: { 200: z.object({ items: z.array(noticeView) }) } }),
      async (c) => c.json({ items: await listNotices(ctx, c.req.valid('param').code, c.req.valid('query')) }))
    .post('/:code/notices/:id/retry', endpoint({ summary: '重发通知 / send a notice again now (same event id)', params: code.extend({ id: z.string().uuid() }), responses: { 200: noticeView } }),
      async (c) => c.json(await retryNotice(ctx, c.req.valid('param').code, c.req.valid('param').id)));
}
