import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { laneRules, MAIN_VENUE, type LaneRules } from '../../shared/rules/model.ts';
import type { CloudContext } from '../context.ts';
import type { Db } from '../db/open.ts';
import { lanes, sites, venues } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { appendAudit, auditedTx } from '../office/audit.ts';
import { appendChanges } from '../sync/changes.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Reader = Db | Tx;

export const siteName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - or _, up to 64');
const venueName = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, - or _, up to 32');

/** POST /sites */
export const siteCreate = z.strictObject({ id: siteName, name: z.string().min(1).max(64) });
/** PATCH /sites/:site */
export const sitePatch = z.strictObject({ name: z.string().min(1).max(64).optional(), active: z.boolean().optional() });
/** PUT /sites/:site/venues/:venue */
export const venuePut = z.strictObject({ name: z.string().min(1).max(64) });
/** PUT /sites/:site/lanes/:lane: a lane's release rules (shared/rules/model.ts), its name from the path. */
export const lanePut = laneRules.omit({ lane: true });

const unknown = (what: 'site' | 'venue' | 'lane', zh: string, id: string) =>
  new AppError(`unknown_${what}`, `${zh}不存在 / unknown ${what}: ${id}`, 404, { what, id });

/**
 * The site a call names, or a 404 that says so. Every call that names a site comes through
 * here; `active` also refuses a site that was switched off (nothing is sold for it).
 */
export async function requireSite(db: Reader, site: string, opts: { active?: boolean } = {}) {
  const [row] = siteName.safeParse(site).success ? await db.select().from(sites).where(eq(sites.id, site)) : [];
  if (!row) throw unknown('site', '站点', site);
  if (opts.active && !row.active) throw new AppError('site_inactive', `站点已停用 / site ${site} is switched off`, 409, { site });
  return row;
}

export async function requireVenue(db: Reader, site: string, venue: string) {
  const [row] = await db.select().from(venues).where(and(eq(venues.site, site), eq(venues.venue, venue)));
  if (!row) throw unknown('venue', `园区 ${site}/`, venue);
  return row;
}

/** A lane of a site with its rules, or a 404 naming it. */
export async function requireLane(db: Reader, site: string, lane: string): Promise<LaneRules> {
  await requireSite(db, site);
  const [row] = siteName.safeParse(lane).success ? await db.select().from(lanes).where(and(eq(lanes.site, site), eq(lanes.lane, lane))) : [];
  if (!row) throw unknown('lane', `通道 ${site}/`, lane);
  return row.rules;
}

/** HQ's configured site (SITE) exists from the first boot on, with its main venue. */
export async function ensureDefaultSite(db: Db, site: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(sites).values({ id: site, name: site }).onConflictDoNothing();
    await tx.insert(venues).values({ site, venue: MAIN_VENUE, name: '主园区' }).onConflictDoNothing();
  });
}

export async function createSite(ctx: CloudContext, input: z.infer<typeof siteCreate>) {
  return ctx.db.transaction(async (tx) => {
    const [made] = await tx.insert(sites).values({ id: input.id, name: input.name, createdAt: new Date(ctx.now()), updatedAt: new Date(ctx.now()) })
      .onConflictDoNothing().returning();
    if (!made) throw new AppError('site_exists', `站点已存在 / site ${input.id} exists already`, 409, { site: input.id });
    await tx.insert(venues).values({ site: input.id, venue: MAIN_VENUE, name: '主园区', createdAt: new Date(ctx.now()) });
    return made;
  });
}

export async function listSites(ctx: CloudContext) {
  return ctx.db.select().from(sites).orderBy(asc(sites.id));
}

export async function getSite(ctx: CloudContext, site: string) {
  const row = await requireSite(ctx.db, site);
  return { ...row, venues: await listVenues(ctx, site), lanes: await listLanes(ctx, site) };
}

export async function patchSite(ctx: CloudContext, site: string, input: z.infer<typeof sitePatch>) {
  await requireSite(ctx.db, site);
  const [row] = await ctx.db.update(sites).set({ ...input, updatedAt: new Date(ctx.now()) }).where(eq(sites.id, site)).returning();
  return row!;
}

export async function listVenues(ctx: CloudContext, site: string) {
  await requireSite(ctx.db, site);
  return ctx.db.select().from(venues).where(eq(venues.site, site)).orderBy(asc(venues.venue));
}

export async function putVenue(ctx: CloudContext, site: string, venue: string, input: z.infer<typeof venuePut>) {
  await requireSite(ctx.db, site);
  venueName.parse(venue);
  const [row] = await ctx.db.insert(venues).values({ site, venue, name: input.name, createdAt: new Date(ctx.now()) })
    .onConflictDoUpdate({ target: [venues.site, venues.venue], set: { name: input.name } }).returning();
  return row!;
}

/** Sets a lane's release rules (into a venue of the site); they reach the site's devices through the change log. */
export async function putLane(ctx: CloudContext, site: string, lane: string, input: unknown, actor = 'system'): Promise<LaneRules> {
  await requireSite(ctx.db, site);
  const rules = laneRules.parse({ ...lanePut.parse(input), lane });
  await requireVenue(ctx.db, site, rules.venue);
  await auditedTx(ctx.db, async (tx) => {
    const [before] = await tx.select({ rules: lanes.rules }).from(lanes).where(and(eq(lanes.site, site), eq(lanes.lane, lane)));
    await tx.insert(lanes).values({ site, lane, rules }).onConflictDoUpdate({ target: [lanes.site, lanes.lane], set: { rules, updatedAt: new Date(ctx.now()) } });
    await appendChanges(tx, site, [{ kind: 'lane', rules }]);
    // Who changed a lane's release rules, from what to what.
    await appendAudit(tx, { at: ctx.now(), actor, action: 'lane_rules', subject: `${site}/${lane}`, body: { before: before?.rules ?? null, after: rules } });
  });
  ctx.notify(site);
  return rules;
}

export async function listLanes(ctx: CloudContext, site: string): Promise<LaneRules[]> {
  await requireSite(ctx.db, site);
  return (await ctx.db.select().from(lanes).where(eq(lanes.site, site)).orderBy(asc(lanes.lane))).map((l) => l.rules);
}
