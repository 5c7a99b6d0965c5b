import { Hono } from 'hono';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { Regions } from './regions.ts';
import { originEntry, originStats, recordOrigin, statsQuery } from './service.ts';

/** Visitor origin: record a party's origin at the window; counts by province and city (see auth/policy.ts). */
export function originRoutes(ctx: CloudContext) {
  let regions: Regions | undefined;
  const table = () => (regions ??= Regions.load());
  return new Hono<CloudEnv>()
    .post('/', endpoint({ summary: '客源登记 / record where a party comes from', body: originEntry, responses: { 201: { description: 'Recorded' } } }),
      async (c) => c.json(await recordOrigin(ctx, table(), c.req.valid('json')), 201))
    .get('/stats', endpoint({ summary: '客源统计 / visitors by province and city', query: statsQuery }),
      async (c) => c.json(await originStats(ctx, table(), c.req.valid('query'))));
}
