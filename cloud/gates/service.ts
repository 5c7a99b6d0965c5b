import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Mode } from '../../shared/rules/model.ts';
import type { DesiredMode } from '../../shared/sync/messages.ts';
import type { CloudContext } from '../context.ts';
import { desiredModes, devices, lanes } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { appendAudit, auditedTx } from '../office/audit.ts';
import { requireSite, requireVenue } from '../sites/service.ts';
import { appendChanges } from '../sync/changes.ts';

/**
 * Switches a whole site (device '') or one device between normal, closed and emergency.
 * The change-log sequence number is the version, so the newest order wins across scopes,
 * and a device that missed the MQTT message still gets it from its next pull. The caller
 * has checked the site (and device) exist.
 */
export async function setMode(ctx: CloudContext, site: string, device: string, mode: Mode, by?: ModeOrder): Promise<DesiredMode> {
  const desired = await auditedTx(ctx.db, async (tx) => {
    const [version] = await appendChanges(tx, site, [{ kind: 'mode', device, mode }]);
    const at = ctx.now();
    // Who switched what, and why, goes in the audit chain with the order itself.
    await appendAudit(tx, { at, actor: by?.actor ?? 'system', action: 'mode', subject: `${site}/${device || '*'}`, body: { mode, version, reason: by?.reason ?? null, scope: by?.scope ?? null } });
    await tx.insert(desiredModes).values({ site, device, mode, version: version!, setAt: new Date(at) })
      .onConflictDoUpdate({ target: [desiredModes.site, desiredModes.device], set: { mode, version, setAt: new Date(at) } });
    return { mode, version: version!, at };
  });
  ctx.publishDesired(site, device, desired);
  return desired;
}

/** Who gives a mode order and why (audited). `scope` names a venue when the order is for its gates. */
export interface ModeOrder { actor: string; reason?: string; scope?: string }

/**
 * Switches every gate serving a lane of a venue (a lane group): one order per gate, each
 * audited with the venue as its scope. Answers the gates switched.
 */
export async function setVenueMode(ctx: CloudContext, site: string, venue: string, mode: Mode, by: ModeOrder): Promise<{ device: string; desired: DesiredMode }[]> {
  await requireVenue(ctx.db, site, venue);
  const laneRows = await ctx.db.select({ lane: lanes.lane, rules: lanes.rules }).from(lanes).where(eq(lanes.site, site));
  const ofVenue = new Set(laneRows.filter((l) => l.rules.venue === venue).map((l) => l.lane));
  const gates = (await ctx.db.select({ device: devices.device, lanes: devices.lanes }).from(devices)
    .where(and(eq(devices.site, site), eq(devices.active, true), eq(devices.role, 'gate'), isNotNull(devices.provisionedAt))))
    .filter((g) => g.lanes.some((l) => ofVenue.has(l)));
  if (gates.length === 0) throw new AppError('no_gates', `园区 ${venue} 没有闸机 / no gate serves a lane of venue ${venue}`, 409, { site, venue });
  const out = [];
  for (const g of gates.sort((a, b) => a.device.localeCompare(b.device))) {
    out.push({ device: g.device, desired: await setMode(ctx, site, g.device, mode, { ...by, scope: `venue:${venue}` }) });
  }
  return out;
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
