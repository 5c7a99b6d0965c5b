import { Hono, type MiddlewareHandler } from 'hono';
import type { Statement } from 'better-sqlite3';
import type Database from 'better-sqlite3';
import { handheldMay, parseBasicAuth, type DeviceIdentity } from '../../shared/auth/device.ts';
import { checkEntry, ENTRY_LIMITS } from '../../shared/auth/entries.ts';
import type { EntryRecord, UpAck } from '../../shared/sync/messages.ts';
import { packBatch, readUpload, unpackBatch } from '../../shared/sync/pack.ts';
import { topics } from '../../shared/sync/topics.ts';
import { siblingQuery } from '../../shared/sync/siblings.ts';
import { HubHttpError } from './http.ts';
import type { HubStore } from './store.ts';

/** An upload larger than this is refused before parsing (as at HQ, cloud/sync/routes.ts). */
const UP = /^tk\/v1\/[A-Za-z0-9_-]{1,64}\/([A-Za-z0-9_-]{1,64})\/up$/;

/**
 * The entries the site's devices uploaded through this hub (gates over the LAN broker,
 * handhelds over HTTP), checked as HQ checks them, kept for ENTRY_LIMITS.staleMs: what a
 * handheld hears of its siblings while the WAN is down (HQ serves the same from its own
 * table, GET /sync/entries). Entries of devices that reach HQ without this hub are not here.
 */
export class SiblingEntries {
  private readonly q: {
    put: Statement<unknown[]>;
    prune: Statement<unknown[]>;
    page: Statement<unknown[], { nonce: string; device: string; body: string; received_at: number }>;
  };
  private prunedAt = 0;

  constructor(private readonly o: { store: HubStore; now: () => number }) {
    const db: Database.Database = o.store.db;
    this.q = {
      put: db.prepare('insert into hub_entries (nonce, device, ticket_id, venue, body, received_at) values (?, ?, ?, ?, ?, ?) on conflict(nonce) do nothing'),
      prune: db.prepare('delete from hub_entries where received_at < ?'),
      page: db.prepare(`select nonce, device, body, received_at from hub_entries
        where device <> ? and ticket_id is not null and received_at >= ? and (received_at > ? or (received_at = ? and nonce > ?))
        and venue in (select value from json_each(?)) order by received_at, nonce limit ?`),
    };
  }

  /** An upload the hub took from `topic` (packed batch): its entries that HQ would take, kept once each. */
  heard(topic: string, payload: Buffer): number {
    const device = UP.exec(topic)?.[1];
    if (!device) return 0;
    let entries: EntryRecord[];
    try {
      entries = unpackBatch(payload).entries;
    } catch {
      return 0;
    }
    const { devices, lanes } = this.o.store.siteRecords();
    const at = this.o.now();
    let added = 0;
    this.o.store.db.transaction(() => {
      for (const e of entries) {
        if (checkEntry(e, devices.get(device), (l) => lanes.get(l), at)) continue;
        added += this.q.put.run(e.nonce, device, e.ticketId, e.venue, JSON.stringify(e), at).changes;
      }
      if (at - this.prunedAt > 60_000) {
        this.q.prune.run(at - ENTRY_LIMITS.staleMs);
        this.prunedAt = at;
      }
    })();
    return added;
  }

  /** One page of other devices' entries at `venues`, received since `since`, after the cursor. */
  page(self: string, venues: readonly string[], since: number, after: { t: number; nonce: string } | undefined, limit: number) {
    const from = after ?? { t: since - 1, nonce: '' };
    const rows = this.q.page.all(self, since, from.t, from.t, from.nonce, JSON.stringify(venues), limit + 1);
    const items = rows.slice(0, limit).map((r) => ({ ...(JSON.parse(r.body) as EntryRecord), device: r.device, receivedAt: r.received_at }));
    const last = items[items.length - 1];
    return { items, next: rows.length > limit && last ? Buffer.from(`${last.receivedAt}|${last.nonce}`).toString('base64url') : null };
  }
}

type HandheldEnv = { Variables: { device: DeviceIdentity } };

/**
 * A handheld validator on the site's LAN uses the hub as it uses HQ (web/src/handheld): the
 * change log of its lanes (the hub's GET /sync/changes), its uploads (POST /sync/up: into the
 * hub's durable queue to HQ like a gate's MQTT upload, heard by the site's gates on the LAN
 * broker, acked once committed here), and its siblings' entries (GET /sync/entries, from
 * SiblingEntries). All of it works while the WAN is down.
 */
export function handheldRoutes(o: {
  site: string;
  store: HubStore;
  siblings: SiblingEntries;
  /** Checks a device credential; absent: the LAN is trusted (development only). */
  verify?: (username: string | undefined, token: string | undefined) => DeviceIdentity | undefined;
  refusal?: (id: DeviceIdentity) => { code: string; message: string } | undefined;
  /** Keeps an upload for HQ as the LAN broker keeps a gate's (checks, durable queue, sibling copy), committed on return. */
  keep: (topic: string, payload: Buffer) => void;
  /** Publishes on the LAN broker (the site's gates hear the upload). */
  relay: (topic: string, payload: Buffer) => Promise<void>;
}) {
  const venuesOf = (device: string): string[] => {
    const { devices, lanes } = o.store.siteRecords();
    return [...new Set((devices.get(device)?.lanes ?? []).map((l) => lanes.get(l)?.venue).filter((v): v is string => v !== undefined))];
  };
  const auth: MiddlewareHandler<HandheldEnv> = async (c, next) => {
    if (!o.verify) {
      c.set('device', { role: 'handheld', site: o.site, device: c.req.header('x-device') ?? 'handheld' });
      return next();
    }
    const basic = parseBasicAuth(c.req.header('authorization'));
    const id = basic && o.verify(basic.username, basic.token);
    if (!id) throw new HubHttpError('device_unauthorized', 'device credentials missing or wrong', 401);
    // Gates speak MQTT to the hub; these are the handheld's.
    if (id.role !== 'handheld' || !handheldMay(c.req.method, c.req.path)) throw new HubHttpError('role_forbidden', `only a handheld calls ${c.req.method} ${c.req.path} here`, 403);
    const no = o.refusal?.(id);
    if (no) throw new HubHttpError(no.code, no.message, no.code === 'unknown_device' ? 404 : 403);
    const site = c.req.query('site');
    if (site !== undefined && site !== id.site) throw new HubHttpError('wrong_site', `device ${id.device} belongs to site ${id.site}, not ${site}`, 403);
    c.set('device', id);
    return next();
  };
  return new Hono<HandheldEnv>()
    .use('/sync/up', auth)
    .use('/sync/entries', auth)
    .post('/sync/up', async (c) => {
      const device = c.get('device');
      const read = readUpload(Buffer.from(await c.req.arrayBuffer()), device.device);
      if ('refused' in read) throw new HubHttpError(read.refused.code, read.refused.message, read.refused.status);
      const { batch } = read;
      // On the wire as a gate's upload: HQ and the gates read it as one.
      const topic = topics.up(o.site, device.device);
      const payload = packBatch(batch);
      o.keep(topic, payload);
      // Durable here: the handheld may drop it. HQ acks the hub's queue, never the handheld.
      void o.relay(topic, payload).catch(() => undefined);
      const ack: UpAck = { epoch: batch.epoch, upTo: batch.lastSeq };
      return c.json(ack);
    })
    .get('/sync/entries', (c) => {
      const device = c.get('device');
      const q = siblingQuery.parse(c.req.query());
      if (q.site !== device.site) throw new HubHttpError('forbidden', 'a device hears its own site only', 403);
      const venues = venuesOf(device.device);
      if (!venues.length) return c.json({ items: [], next: null });
      const after = q.after ? decodeCursor(q.after) : undefined;
      return c.json(o.siblings.page(device.device, venues, q.since, after, q.limit));
    });


}

function decodeCursor(s: string): { t: number; nonce: string } {
  const [t, nonce] = Buffer.from(s, 'base64url').toString('utf8').split('|');
  if (!t || !nonce || !/^\d+$/.test(t)) throw new HubHttpError('invalid_request', 'invalid cursor', 400);
  return { t: Number(t), nonce };
}
