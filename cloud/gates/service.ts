import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Mode } from '../../shared/rules/model.ts';
import type { DesiredMode } from '../../shared/sync/messages.ts';
import type { CloudContext } from '../context.ts';
import { desiredModes, devices } from '../db/schema/index.ts';
import { requireSite } from '../sites/service.ts';
import { appendChanges } from '../sync/changes.ts';

/**
 * Switches a whole site (device '') or one device between normal, closed and emergency.
 * The change-log sequence number is the version, so the newest order wins across scopes,
 * and a device that missed the MQTT message still gets it from its next pull. The caller
 * has checked the site (and device) exist.
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

/**
 * The mode a lane is in: the newest order for the whole site or for the gate that serves the
 * lane (a gate applies exactly these two). A lane no gate serves follows the site's order.
 */
export async function laneMode(ctx: CloudContext, site: string, lane: string): Promise<{ mode: Mode; device: string | null }> {
  await requireSite(ctx.db, site);
  const [served] = await ctx.db.select({ device: devices.device }).from(devices)
    .where(and(eq(devices.site, site), eq(devices.active, true), isNotNull(devices.provisionedAt), sql`${devices.lanes} @> ${JSON.stringify([lane])}::jsonb`));
  const scopes = served ? ['', served.device] : [''];
  const modes = await ctx.db.select().from(desiredModes).where(and(eq(desiredModes.site, site), inArray(desiredModes.device, scopes)));
  const newest = modes.sort((a, b) => b.version - a.version)[0];
  return { mode: (newest?.mode ?? 'normal') as Mode, device: served?.device ?? null };
}
