import { Hono } from 'hono';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { quote, quoteRequest, quoteView } from './quote.ts';

export function quoteRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .post('/', endpoint({
      summary: '询价 / what an order would cost: list price, discount and amount per line, the total',
      body: quoteRequest, responses: { 200: quoteView },
    }), async (c) => c.json(await quote(ctx, c.req.valid('json'))));
}
