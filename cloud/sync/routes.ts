import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { and, asc, eq, gt, gte, inArray, isNotNull, ne, or, sql } from 'drizzle-orm';
import { ticketDigest } from '../../shared/sync/digest.ts';
import { deviceStreams, entries, tickets, ticketTypes } from '../db/schema/index.ts';
import { grantsVenue, parseVenues, VENUES_PARAM } from '../../shared/sync/venues.ts';
import { readChanges } from './changes.ts';
import { siblingQuery } from '../../shared/sync/siblings.ts';
import { keyedCredential } from '../../shared/rules/credential.ts';
import { LANE_ROLES, servedVenues } from '../devices/service.ts';
import { HANDHELD_SKIPS } from '../../shared/sync/messages.ts';
import { requireSite } from '../sites/service.ts';
import { compressPages } from '../../shared/sync/compress.ts';
import { readUpload } from '../../shared/sync/pack.ts';
import type { UpAck } from '../../shared/sync/messages.ts';
import { decodeCursor } from '../entries/routes.ts';
import { ingestBatch } from '../entries/ingest.ts';
import { AppError } from '../http/errors.ts';

/** An upload larger than this is refused before parsing (as over MQTT, cloud/sync/uplink.ts). */

const changesQuery = z.object({
  site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  since: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
  log: z.string().max(64).optional(),
  /** Only what a device serving these venues can use (comma separated); absent: the whole site. */
  venues: z.string().regex(VENUES_PARAM, 'venue names separated by commas').optional(),
});

const digestQuery = z.object({ site: changesQuery.shape.site, after: z.coerce.number().int().min(0), venues: changesQuery.shape.venues });

export function syncRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    // Pages of JSON compress ~12x (gzip) to ~14x (brotli); the WAN down-link is 2 Mbit/s on a good day.
    .use('/changes', compressPages())
    .get('/changes', endpoint({ summary: 'The change log a site\'s devices pull (gzip/br), resumable from a checkpoint', query: changesQuery }), async (c) => {
      const q = c.req.valid('query');
      await requireSite(ctx.db, q.site);
      // Gates have no use for bookings (kiosks and hubs do): they stay off the gates' slow line.
      const device = c.get('device');
      // A handheld (a phone, easily lost) never holds faces or fingerprints.
      const skipKinds = device?.role === 'gate' ? ['booking'] : device?.role === 'handheld' ? HANDHELD_SKIPS : undefined;
      // A gate holds what its lanes need: the tickets of its lanes' venues, whatever it asks for.
      const venues = device && LANE_ROLES.includes(device.role) ? await servedVenues(ctx.db, device.site, device.device) : parseVenues(q.venues);
      const key = ctx.deviceAuth.credentialKey(q.site);
      const batch = await readChanges(ctx.db, { ...q, venues, now: ctx.now(), logId: ctx.changeLog, skipKinds, seal: (kind, value) => keyedCredential(key, kind, value) });
      return c.json(device?.role === 'kiosk' ? batch : { ...batch, credentialKey: key.toString('hex') });
    })
    // The upload of a device without MQTT (the handheld validator in a browser): the same
    // batch (packed or its JSON form), the same idempotent ingest, the same "up to N" ack.
    .post('/up', endpoint({ summary: '上传入园记录 / a device\'s entry batch over HTTP (handhelds), acked "up to N" like MQTT uploads', responses: { 200: { description: 'UpAck {epoch, upTo}' } } }), async (c) => {
      const device = c.get('device');
      if (!device) throw new AppError('device_required', 'uploads take a device credential', 401);
      const read = readUpload(Buffer.from(await c.req.arrayBuffer()), device.device);
      if ('refused' in read) throw new AppError(read.refused.code, read.refused.message, read.refused.status);
      const { batch } = read;
      const limits = { aheadMs: ctx.config.entryClockToleranceSeconds * 1000, staleMs: ctx.config.entryMaxAgeHours * 3_600_000 };
      const { ackedUpTo, refused } = await ingestBatch(ctx.db, device.site, batch, new Date(), limits);
      if (refused.length) ctx.log.warn({ device: device.device, refused: refused.length }, 'entries refused: not this device\'s to report');
      const ack: UpAck = { epoch: batch.epoch, upTo: ackedUpTo };
      return c.json(ack);
    })
    // What gates hear of each other on the broker, for a device that only speaks HTTP (the
    // handheld): the other devices' entries at its own lanes' venues, as HQ took them in.
    .get('/entries', endpoint({ summary: '邻机入园记录 / siblings\' entries at the device\'s venues, since a time (handhelds poll it)', query: siblingQuery }), async (c) => {
      const device = c.get('device');
      if (!device) throw new AppError('device_required', 'siblings\' entries take a device credential', 401);
      const q = c.req.valid('query');
      if (q.site !== device.site) throw new AppError('forbidden', 'a device hears its own site only', 403);
      const venues = await servedVenues(ctx.db, device.site, device.device);
      if (!venues.length) return c.json({ items: [], next: null });
      // Nothing older than HQ takes in at all (entryMaxAgeHours): an old cursor cannot page the whole history.
      const since = new Date(Math.max(q.since, ctx.now() - ctx.config.entryMaxAgeHours * 3_600_000));
      const from = q.after ? decodeCursor(q.after) : undefined;
      const rows = await ctx.db.select().from(entries).where(and(
        eq(entries.site, device.site), ne(entries.device, device.device), inArray(entries.venue, venues), isNotNull(entries.ticketId),
        gte(entries.receivedAt, since),
        from ? or(gt(entries.receivedAt, from.t), and(eq(entries.receivedAt, from.t), gt(entries.nonce, from.nonce))) : undefined,
      )).orderBy(asc(entries.receivedAt), asc(entries.nonce)).limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      const items = page.map((e) => ({
        nonce: e.nonce, ticketId: e.ticketId, device: e.device, lane: e.lane, venue: e.venue, direction: e.direction, kind: e.kind, persons: e.persons,
        deviceTime: e.deviceTime.getTime(), correctedTime: e.correctedTime.getTime(), receivedAt: e.receivedAt.getTime(),
      }));
      const next = rows.length > q.limit && last ? Buffer.from(`${last.receivedAt.getTime()}|${last.nonce}`).toString('base64url') : null;
      return c.json({ items, next });
    })
    // What a gate of the site should hold: compare with its cacheDigest() to prove convergence.
    .get('/digest', endpoint({ summary: 'Digest of the tickets a site\'s gates should hold', query: digestQuery }), async (c) => {
      const q = c.req.valid('query');
      await requireSite(ctx.db, q.site);
      const venues = parseVenues(q.venues);
      const rows = await ctx.db.select({
        id: tickets.id, typeId: tickets.typeId, validFrom: sql<number>`extract(epoch from ${tickets.validFrom})::bigint`.mapWith(Number),
        validUntil: sql<number>`extract(epoch from ${tickets.validUntil})::bigint`.mapWith(Number), persons: tickets.persons,
        entries: tickets.entries, revoked: sql<string>`coalesce(${tickets.revokedReason}, '')`, typeRules: ticketTypes.rules,
      }).from(tickets).innerJoin(ticketTypes, eq(ticketTypes.id, tickets.typeId))
        .where(and(eq(tickets.site, q.site), gt(tickets.validUntil, new Date(q.after * 1000))));
      return c.json(ticketDigest(rows.filter((r) => !venues || grantsVenue(r.typeRules, venues)).map(({ typeRules: _, ...r }) => r)));
    });
}

/** Each device's upload stream as HQ has it (operators, not devices). */
export function deviceStreamRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>().get('/', endpoint({ summary: '上传流 / each device\'s upload stream: acked sequence, last seen' }),
    async (c) => c.json({ items: await ctx.db.select().from(deviceStreams) }));
}
