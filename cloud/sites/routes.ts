import { Hono } from 'hono';
import type { CloudContext } from '../context.ts';
import { jsonBody } from '../http/errors.ts';
import {
  createSite, getSite, lanePut, listLanes, listSites, listVenues, patchSite, putLane, putVenue, requireLane, siteCreate, siteName, sitePatch, venuePut,
} from './service.ts';

/** Sites, their venues and lanes: records an administrator (or supervisor) keeps. */
export function siteRoutes(ctx: CloudContext) {
  const site = (p: string | undefined) => siteName.parse(p);
  return new Hono()
    .get('/', async (c) => c.json({ items: await listSites(ctx) }))
    .post('/', async (c) => c.json(await createSite(ctx, siteCreate.parse(await jsonBody(c))), 201))
    .get('/:site', async (c) => c.json(await getSite(ctx, site(c.req.param('site')))))
    .patch('/:site', async (c) => c.json(await patchSite(ctx, site(c.req.param('site')), sitePatch.parse(await jsonBody(c)))))
    .get('/:site/venues', async (c) => c.json({ items: await listVenues(ctx, site(c.req.param('site'))) }))
    .put('/:site/venues/:venue', async (c) => c.json(await putVenue(ctx, site(c.req.param('site')), c.req.param('venue'), venuePut.parse(await jsonBody(c)))))
    .get('/:site/lanes', async (c) => c.json({ items: await listLanes(ctx, site(c.req.param('site'))) }))
    .get('/:site/lanes/:lane', async (c) => c.json(await requireLane(ctx.db, site(c.req.param('site')), c.req.param('lane'))))
    .put('/:site/lanes/:lane', async (c) => c.json(await putLane(ctx, site(c.req.param('site')), siteName.parse(c.req.param('lane')), lanePut.parse(await jsonBody(c)))));
}
