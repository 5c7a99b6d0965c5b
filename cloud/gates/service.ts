import { asc, eq, sql } from 'drizzle-orm';
import { laneRules, type LaneRules, type Mode } from '../../shared/rules/model.ts';
import { laneStatus, reportedMode, type DesiredMode } from '../../shared/sync/messages.ts';
import type { CloudContext } from '../context.ts';
import { changes, desiredModes, devices, lanes } from '../db/schema/index.ts';
import { appendChanges } from '../sync/changes.ts';

/** Sets a lane's release rules; they reach the site's devices through the change log. */
export async function putLane(ctx: CloudContext, site: string, lane: string, input: unknown): Promise<LaneRules> {
  const rules = laneRules.parse({ ...(input as object), lane });
  await ctx.db.transaction(async (tx) => {
    await tx.insert(lanes).values({ site, lane, rules }).onConflictDoUpdate({ target: [lanes.site, lanes.lane], set: { rules, updatedAt: new Date(ctx.now()) } });
    await appendChanges(tx, site, [{ kind: 'lane', rules }]);
  });
  ctx.notify(site);
  return rules;
}

export async function listLanes(ctx: CloudContext, site: string): Promise<LaneRules[]> {
  return (await ctx.db.select().from(lanes).where(eq(lanes.site, site)).orderBy(asc(lanes.lane))).map((l) => l.rules);
}

/**
 * Switches a whole site (device '') or one device between normal, closed and emergency.
 * The change-log sequence number is the version, so the newest order wins across scopes,
 * and a device that missed the MQTT message still gets it from its next pull.
 */
export async function setMode(ctx: CloudContext, site: string, device: string, mode: Mode): Promise<DesiredMode> {
  const desired = await ctx.db.transaction(async (tx) => {
    const [version] = await appendChanges(tx, site, [{ kind: 'mode', device, mode }]);
    const at = ctx.now();
    await tx.insert(desiredModes).values({ site, device, mode, version: version!, setAt: new Date(at) })
      .onConflictDoUpdate({ target: [desiredModes.site, desiredModes.device], set: { mode, version, setAt: new Date(at) } });
    return { mode, version: version!, at };
  });
  ctx.publishDesired(site, device, desired);
  return desired;
}

export async function listDesired(ctx: CloudContext) {
  return ctx.db.select().from(desiredModes);
}

/** Records what a device said about itself (status or reported mode). */
export async function recordDevice(ctx: CloudContext, site: string, device: string, what: 'status' | 'reported', payload: unknown): Promise<void> {
  const parsed = (what === 'status' ? laneStatus : reportedMode).safeParse(payload);
  if (!parsed.success) {
    ctx.log.warn({ site, device, what }, 'ignored malformed device message');
    return;
  }
  const now = new Date(ctx.now());
  const online = what === 'status' ? (parsed.data as { state: string }).state === 'online' : true;
  const set = what === 'status' ? { status: parsed.data, online, lastSeenAt: now } : { reported: parsed.data, lastSeenAt: now };
  await ctx.db.insert(devices).values({ site, device, ...set }).onConflictDoUpdate({ target: [devices.site, devices.device], set });
}

/** Each device with its presence, desired and reported mode, backlog and how far its cache lags the change log. */
export async function listDevices(ctx: CloudContext, site?: string) {
  const rows = await ctx.db.select().from(devices).where(site ? eq(devices.site, site) : undefined).orderBy(asc(devices.site), asc(devices.device));
  const desired = await listDesired(ctx);
  const heads = await ctx.db.select({ site: changes.site, head: sql<number>`max(${changes.seq})::int` }).from(changes).groupBy(changes.site);
  const head = (s: string) => Math.max(heads.find((h) => h.site === s)?.head ?? 0, heads.find((h) => h.site === '*')?.head ?? 0);
  return rows.map((d) => {
    const mine = desired.filter((m) => m.site === d.site && (m.device === '' || m.device === d.device)).sort((a, b) => b.version - a.version)[0];
    const status = (d.status ?? {}) as { checkpoint?: number; outbox?: number };
    return {
      ...d, desired: mine ? { mode: mine.mode, version: mine.version } : null,
      backlog: status.outbox ?? null,
      checkpointLag: status.checkpoint === undefined ? null : Math.max(0, head(d.site) - status.checkpoint),
    };
  });
}
