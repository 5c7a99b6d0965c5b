import { Hono } from 'hono';
import { z } from 'zod';
import { laneRules } from '../../shared/rules/model.ts';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import {
  createSite, getSite, lanePut, listLanes, listSites, listVenues, patchSite, putLane, putVenue, requireLane, siteCreate, siteName, sitePatch, venuePut,
} from './service.ts';

const instant = z.string().describe('ISO 8601 instant');
export const siteView = z.object({ id: z.string(), name: z.string(), active: z.boolean(), createdAt: instant, updatedAt: instant }).meta({ id: 'Site' });
export const venueView = z.object({ site: z.string(), venue: z.string(), name: z.string(), createdAt: instant }).meta({ id: 'Venue' });
const siteDetail = siteView.extend({ venues: z.array(venueView), lanes: z.array(laneRules) }).meta({ id: 'SiteDetail' });
const site = z.object({ site: siteName });
const lane = z.object({ site: siteName, lane: siteName });

/** Sites, their venues and lanes: records an administrator (or supervisor) keeps. */
export function siteRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '景区 / the sites HQ serves', responses: { 200: z.object({ items: z.array(siteView) }) } }),
      async (c) => c.json({ items: await listSites(ctx) }))
    .post('/', endpoint({ summary: '新建景区 / add a site (with its main venue)', body: siteCreate, responses: { 201: siteView } }),
      async (c) => c.json(await createSite(ctx, c.req.valid('json')), 201))
    .get('/:site', endpoint({ summary: '景区 / one site with its venues and lanes', params: site, responses: { 200: siteDetail } }),
      async (c) => c.json(await getSite(ctx, c.req.valid('param').site)))
    .patch('/:site', endpoint({ summary: '修改景区 / rename a site or switch it off', params: site, body: sitePatch, responses: { 200: siteView } }),
      async (c) => c.json(await patchSite(ctx, c.req.valid('param').site, c.req.valid('json'))))
    .get('/:site/venues', endpoint({ summary: '园区 / the venues of a site', params: site, responses: { 200: z.object({ items: z.array(venueView) }) } }),
      async (c) => c.json({ items: await listVenues(ctx, c.req.valid('param').site) }))
    .put('/:site/venues/:venue', endpoint({ summary: '设置园区 / add or rename a venue of a site', params: z.object({ site: siteName, venue: z.string() }), body: venuePut, responses: { 200: venueView } }),
      async (c) => c.json(await putVenue(ctx, c.req.valid('param').site, c.req.valid('param').venue, c.req.valid('json'))))
    .get('/:site/lanes', endpoint({ summary: '通道规则 / lane release rules of a site', params: site, responses: { 200: z.object({ items: z.array(laneRules) }) } }),
      async (c) => c.json({ items: await listLanes(ctx, c.req.valid('param').site) }))
    .get('/:site/lanes/:lane', endpoint({ summary: '通道 / one lane\'s release rules', params: z.object({ site: siteName, lane: z.string() }), responses: { 200: laneRules } }),
      async (c) => c.json(await requireLane(ctx.db, c.req.valid('param').site, c.req.valid('param').lane)))
    .put('/:site/lanes/:lane', endpoint({ summary: '设置通道规则 / set a lane\'s rules, into a venue of the site', params: lane, body: lanePut, responses: { 200: laneRules } }),
      async (c) => c.json(await putLane(ctx, c.req.valid('param').site, c.req.valid('param').lane, c.req.valid('json'), c.get('user')?.username)));
}
