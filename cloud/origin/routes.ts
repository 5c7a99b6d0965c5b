import { Hono } from 'hono';
import type { CloudContext } from '../context.ts';
import { jsonBody } from '../http/errors.ts';
import { Regions } from './regions.ts';
import { originEntry, originStats, recordOrigin, statsQuery } from './service.ts';

/** Visitor origin: record a party's origin at the window; counts by province and city (see auth/policy.ts). */
export function originRoutes(ctx: CloudContext) {
  let regions: Regions | undefined;
  const table = () => (regions ??= Regions.load());
  return new Hono()
    .post('/', async (c) => c.json(await recordOrigin(ctx, table(), originEntry.parse(await jsonBody(c))), 201))
    .get('/stats', async (c) => c.json(await originStats(ctx, table(), statsQuery.parse(c.req.query()))));
}
