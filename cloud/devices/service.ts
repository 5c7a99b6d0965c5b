import { and, asc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { laneStatus, reportedMode } from '../../shared/sync/messages.ts';
import type { CloudContext } from '../context.ts';
import type { Db } from '../db/open.ts';
import { changes, deviceAlarmAcks, devices, lanes } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { requireSite, siteName } from '../sites/service.ts';
import { appendChanges } from '../sync/changes.ts';
import { listDesired } from '../gates/service.ts';
import { appendAudit, auditedTx } from '../audit/chain.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Reader = Db | Tx;

export const PROVISIONED_ROLES = ['gate', 'kiosk', 'hub', 'pos', 'handheld'] as const;
/** The roles that check tickets at lanes: a gate, and a handheld validator (无线手持检票机) with lanes of its own. */
export const LANE_ROLES: readonly string[] = ['gate', 'handheld'];

/** PUT /sites/:site/devices/:device: provisions a device (or changes it). */
export const devicePut = z.strictObject({
  role: z.enum(PROVISIONED_ROLES),
  /** The lanes a gate serves: it reports entries for these, and pulls the tickets of their venues. */
  lanes: z.array(siteName).max(64).default([]),
  name: z.string().min(1).max(64).optional(),
  /** false: refused at the broker and the sync endpoints, its entries refused. */
  active: z.boolean().default(true),
});

export type DeviceRow = typeof devices.$inferSelect;

/** A provisioned device, or undefined (unknown, or only ever seen before provisioning existed). */
export async function deviceRecord(db: Reader, site: string, device: string): Promise<DeviceRow | undefined> {
  const [row] = await db.select().from(devices).where(and(eq(devices.site, site), eq(devices.device, device), isNotNull(devices.provisionedAt)));
  return row;
}

/** The venues of the lanes a gate serves: what it needs tickets for. */
export async function servedVenues(db: Reader, site: string, device: string): Promise<string[]> {
  const row = await deviceRecord(db, site, device);
  if (!row || row.lanes.length === 0) return [];
  const rules = await db.select({ rules: lanes.rules }).from(lanes).where(and(eq(lanes.site, site), inArray(lanes.lane, row.lanes)));
  return [...new Set(rules.map((r) => r.rules.venue))].sort();
}

/** The device a call names, or a 404 that says so. */
export async function requireDevice(db: Reader, site: string, device: string): Promise<DeviceRow> {
  await requireSite(db, site);
  const row = siteName.safeParse(device).success ? await deviceRecord(db, site, device) : undefined;
  if (!row) throw new AppError('unknown_device', `设备不存在 / unknown device: ${site}/${device}`, 404, { what: 'device', id: device, site });
  return row;
}

/**
 * Provisions a device for a site and its lanes. Each lane must exist, and a lane has one gate
 * (so an entry for a lane has one device that may report it). The record reaches the site's
 * devices through the change log: gates check a sibling's entries with it, the hub its LAN.
 */
export async function provisionDevice(ctx: CloudContext, site: string, device: string, input: z.input<typeof devicePut>, actor = 'system'): Promise<DeviceRow> {
  const req = devicePut.parse(input);
  await requireSite(ctx.db, site);
  siteName.parse(device);
  if (LANE_ROLES.includes(req.role) && req.lanes.length === 0) throw new AppError('gate_needs_lane', '闸机和手持检票机至少要有一个通道 / a gate or handheld serves at least one lane', 400);
  if (!LANE_ROLES.includes(req.role) && req.lanes.length > 0) throw new AppError('lanes_for_gates', `只有闸机和手持检票机有通道 / only gates and handhelds serve lanes, not a ${req.role}`, 400);
  const wanted = [...new Set(req.lanes)].sort();
  const now = new Date(ctx.now());
  const row = await auditedTx(ctx.db, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`devices/${site}`}))`);
    const before = await deviceRecord(tx, site, device);
    const known = new Set((await tx.select({ lane: lanes.lane }).from(lanes).where(eq(lanes.site, site))).map((l) => l.lane));
    const missing = wanted.find((l) => !known.has(l));
    if (missing) throw new AppError('unknown_lane', `通道 ${site}/不存在 / unknown lane: ${missing}`, 404, { what: 'lane', id: missing });
    if (req.active && wanted.length) {
      const others = await tx.select({ device: devices.device, lanes: devices.lanes }).from(devices)
        .where(and(eq(devices.site, site), eq(devices.active, true), isNotNull(devices.provisionedAt), sql`${devices.device} <> ${device}`));
      for (const o of others) {
        const taken = o.lanes.find((l) => wanted.includes(l));
        if (taken) throw new AppError('lane_taken', `通道 ${taken} 已由 ${o.device} 服务 / lane ${taken} is served by ${o.device}`, 409, { lane: taken, device: o.device });
      }
    }
    const set = { role: req.role, lanes: wanted, name: req.name ?? null, active: req.active };
    const [saved] = await tx.insert(devices).values({ site, device, ...set, provisionedAt: now, lastSeenAt: now })
      .onConflictDoUpdate({ target: [devices.site, devices.device], set: { ...set, provisionedAt: sql`coalesce(${devices.provisionedAt}, ${now.toISOString()}::timestamptz)` } })
      .returning();
    await appendChanges(tx, site, [{ kind: 'device', device, role: req.role, lanes: wanted, active: req.active }]);
    // provision (new), revoke (switched off: its credential is refused from now on), restore, change.
    const op = !before ? 'provision' : before.active && !req.active ? 'revoke' : !before.active && req.active ? 'restore' : 'change';
    await appendAudit(tx, { at: ctx.now(), actor, action: 'device', subject: `${site}/${device}`, body: { op, role: req.role, lanes: wanted, name: set.name, active: req.active } });
    return saved!;
  });
  ctx.notify(site);
  ctx.log.info({ site, device, role: req.role, lanes: wanted, active: req.active }, 'device provisioned');
  return row;
}

/** Records what a device said about itself (status or reported mode); a device HQ does not know is ignored. */
export async function recordDevice(ctx: CloudContext, site: string, device: string, what: 'status' | 'reported', payload: unknown): Promise<void> {
  const parsed = (what === 'status' ? laneStatus : reportedMode).safeParse(payload);
  if (!parsed.success) {
    ctx.log.warn({ site, device, what }, 'ignored malformed device message');
    return;
  }
  const now = new Date(ctx.now());
  const online = what === 'status' ? (parsed.data as { state: string }).state === 'online' : true;
  const set = what === 'status' ? { status: parsed.data, online, lastSeenAt: now } : { reported: parsed.data, lastSeenAt: now };
  const done = await ctx.db.update(devices).set(set)
    .where(and(eq(devices.site, site), eq(devices.device, device), isNotNull(devices.provisionedAt))).returning({ device: devices.device });
  if (done.length === 0) ctx.log.warn({ site, device, what }, 'message from a device HQ has not provisioned: ignored');
}

export type Refusal = { reason: string; at: number } & Record<string, unknown>;

/**
 * Counts refusals against a device (its entries, or connections made with its credential)
 * and keeps the newest of each, for the device view's alarms.
 */
export async function recordRefusals(db: Reader, site: string, device: string, what: 'entry' | 'connection', count: number, last: Refusal): Promise<void> {
  if (count <= 0) return;
  const lastRefusal = sql`coalesce(${devices.lastRefusal}, '{}'::jsonb) || jsonb_build_object(${what}::text, ${JSON.stringify(last)}::jsonb)`;
  const set = what === 'entry'
    ? { refusedEntries: sql`${devices.refusedEntries} + ${count}`, lastRefusal }
    : { refusedConnections: sql`${devices.refusedConnections} + ${count}`, lastRefusal };
  await db.update(devices).set(set).where(and(eq(devices.site, site), eq(devices.device, device)));
}

export interface DeviceAlarm {
  code: 'entries_refused' | 'connections_refused' | 'device_error';
  count?: number;
  last?: unknown;
  message: string;
  /** A supervisor acknowledged it as it stands (cloud/devices/alarms.ts). */
  ack?: { by: string; at: string; note: string | null };
}

type AlarmAck = typeof deviceAlarmAcks.$inferSelect;

/**
 * Whether an acknowledgement still covers an alarm: refusals are counters, so an ack holds
 * until more come in; an error holds until the device reports another one.
 */
export function covers(ack: AlarmAck | undefined, alarm: DeviceAlarm): boolean {
  if (!ack) return false;
  return alarm.code === 'device_error' ? ack.message === alarm.message : (alarm.count ?? 0) <= ack.count;
}

function alarmsOf(d: DeviceRow, acks: AlarmAck[]): DeviceAlarm[] {
  const out: DeviceAlarm[] = [];
  const last = (d.lastRefusal ?? {}) as Record<string, Refusal | undefined>;
  if (d.refusedEntries > 0) {
    out.push({ code: 'entries_refused', count: d.refusedEntries, last: last.entry, message: `拒收入园记录 ${d.refusedEntries} 条（最近：${last.entry?.reason ?? '?'}） / ${d.refusedEntries} entries refused (last: ${last.entry?.reason ?? '?'})` });
  }
  if (d.refusedConnections > 0) {
    out.push({ code: 'connections_refused', count: d.refusedConnections, last: last.connection, message: `拒绝连接 ${d.refusedConnections} 次（最近：${last.connection?.reason ?? '?'}） / ${d.refusedConnections} connections refused (last: ${last.connection?.reason ?? '?'})` });
  }
  const error = (d.status as { error?: string | null } | null)?.error;
  if (error) out.push({ code: 'device_error', message: error });
  for (const a of out) {
    const ack = acks.find((k) => k.code === a.code);
    if (ack && covers(ack, a)) a.ack = { by: ack.ackedBy, at: ack.ackedAt.toISOString(), note: ack.note };
  }
  return out;
}

/** Each provisioned device with its presence, desired and reported mode, backlog, checkpoint lag and alarms. */
export async function listDevices(ctx: CloudContext, site?: string) {
  if (site !== undefined) await requireSite(ctx.db, site);
  const rows = await ctx.db.select().from(devices)
    .where(and(isNotNull(devices.provisionedAt), site ? eq(devices.site, site) : undefined)).orderBy(asc(devices.site), asc(devices.device));
  const desired = await listDesired(ctx);
  const acks = await ctx.db.select().from(deviceAlarmAcks).where(site ? eq(deviceAlarmAcks.site, site) : undefined);
  const heads = await ctx.db.select({ site: changes.site, head: sql<number>`max(${changes.seq})::int` }).from(changes).groupBy(changes.site);
  const head = (s: string) => Math.max(heads.find((h) => h.site === s)?.head ?? 0, heads.find((h) => h.site === '*')?.head ?? 0);
  return rows.map((d) => {
    const mine = desired.filter((m) => m.site === d.site && (m.device === '' || m.device === d.device)).sort((a, b) => b.version - a.version)[0];
    const status = (d.status ?? {}) as { checkpoint?: number; outbox?: number };
    return {
      ...d, desired: mine ? { mode: mine.mode, version: mine.version } : null,
      backlog: status.outbox ?? null,
      checkpointLag: status.checkpoint === undefined ? null : Math.max(0, head(d.site) - status.checkpoint),
      alarms: alarmsOf(d, acks.filter((k) => k.site === d.site && k.device === d.device)),
    };
  });
}

export async function getDevice(ctx: CloudContext, site: string, device: string) {
  await requireDevice(ctx.db, site, device);
  return (await listDevices(ctx, site)).find((d) => d.device === device)!;
}
