import { parseVenues, VENUES_PARAM } from '../../shared/sync/venues.ts';
import { parseBasicAuth, type DeviceIdentity } from '../../shared/auth/device.ts';
import { compressPages } from '../../shared/sync/compress.ts';
import { Hono } from 'hono';
import { bodyLimits } from '../../shared/net/body-limit.ts';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z, ZodError } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import { readHubChanges } from './changes.ts';
import { HANDHELD_SKIPS } from '../../shared/sync/messages.ts';
import type { AnchorCopy } from './anchors.ts';
import type { HubStore } from './store.ts';
import { appFilesHandler } from '../../shared/http/app-files.ts';
import { errorAnswer } from './window/errors.ts';

/** As HQ's query (cloud/sync/routes.ts): gates send the same URL to either. */
const changesQuery = z.object({
  site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  since: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
  log: z.string().max(64).optional(),
  venues: z.string().regex(VENUES_PARAM).optional(),
});

export class HubHttpError extends Error {
  constructor(readonly code: string, message: string, readonly status: ContentfulStatusCode) {
    super(message);
  }
}

/** How long a gate's request may wait on the hub checking with HQ before being answered. */
const CHECK_WITH_HQ_MS = 3000;

/**
 * The LAN's HTTP side: HQ's change-log endpoint, served from the hub's copy, so gates keep
 * pulling while the WAN is down (they get what the hub has). `serverTime` is the hub's
 * clock corrected to HQ's, so a gate's own correction still lines up with HQ.
 */
/** The hub's requests carry the device that signed in on /sync (set by its device auth). */
type HubEnv = { Variables: { device?: DeviceIdentity } };

export function hubApp(opts: {
  store: HubStore; site: string; hub: string; log: Logger;
  serverTime: () => number;
  now: () => number;
  puller: { caughtUpAt: number | undefined; pull(): Promise<void> };
  state: () => Record<string, unknown>;
  /** Checks a gate's credential (Basic auth); absent: the LAN is trusted (development only). */
  verify?: (username: string | undefined, token: string | undefined) => DeviceIdentity | undefined;
  /** Why a verified device may not pull (not provisioned at HQ, switched off), or undefined. */
  refusal?: (id: DeviceIdentity) => { code: string; message: string } | undefined;
  /** Largest request body, bytes (default 64 KiB: gates only send queries). */
  bodyLimit?: number;
  /**
   * A POS's balance pulls passed through to HQ (`/sync/pos/catalog`, `/sync/pos/wallets`) with
   * its own credential; absent: not served.
   */
  relayPos?: (pathAndQuery: string, authorization: string | undefined) => Promise<Response>;
  /** A handheld's uploads and siblings' entries (edge/hub/handheld.ts), under /api/v1. */
  handheld?: Hono<any>;
  /** The window's endpoints (edge/hub/window/routes.ts), under /api/v1 after the devices' own. */
  window?: Hono<any>;
  /** The built back office app, served at / for the site's windows. */
  webDir?: string;
  /** Tickets the windows refunded here, still valid (edge/hub/window/book.ts). */
  refunded?: (now: number) => string[];
  /** HQ's signed audit heads as kept here (edge/hub/anchors.ts). */
  anchors?: AnchorCopy;
}) {
  const { store, site, puller } = opts;
  const api = new Hono<HubEnv>()
    .use('*', bodyLimits({ maxSize: opts.bodyLimit ?? 64 * 1024 }))
    .get('/health', (c) => c.json({ ok: true, site, hub: opts.hub, time: opts.serverTime(), ...opts.state() }))
    // Signed heads of HQ's audit chain: public like a notice board; only HQ's key makes them count.
    .get('/hub/anchors', (c) => c.json({ items: opts.anchors?.all() ?? [] }))
    .use('/sync/changes', async (c, next) => {
      if (!opts.verify) return next();
      const basic = parseBasicAuth(c.req.header('authorization'));
      const id = basic && opts.verify(basic.username, basic.token);
      if (!id) throw new HubHttpError('device_unauthorized', 'device credentials missing or wrong', 401);
      const no = opts.refusal?.(id);
      if (no) throw new HubHttpError(no.code, no.message, no.code === 'unknown_device' ? 404 : 403);
      c.set('device', id);
      return next();
    })
    .get('/sync/pos/:what{catalog|wallets}', async (c) => {
      if (!opts.relayPos) throw new HubHttpError('not_found', 'this hub does not relay for POS agents', 404);
      const authorization = c.req.header('authorization');
      if (opts.verify) {
        const basic = parseBasicAuth(authorization);
        const id = basic && opts.verify(basic.username, basic.token);
        if (!id || id.role !== 'pos') throw new HubHttpError('device_unauthorized', 'POS credentials missing or wrong', 401);
        const no = opts.refusal?.(id);
        if (no) throw new HubHttpError(no.code, no.message, no.code === 'unknown_device' ? 404 : 403);
      }
      const url = new URL(c.req.url);
      // Balances change only at HQ: while the WAN is down there is nothing true to serve, and
      // the POS must see that (its pulls fail, it charges within its offline limit).
      let res: Response;
      try {
        res = await opts.relayPos(`/api/v1/sync/pos/${c.req.param('what')}${url.search}`, authorization);
      } catch (err) {
        throw new HubHttpError('hq_unreachable', `HQ unreachable from the hub: ${(err as Error).message}`, 503);
      }
      return new Response(res.body, { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' } });
    })
    .use('/sync/changes', compressPages())
    .get('/sync/changes', async (c) => {
      const q = changesQuery.parse(c.req.query());
      if (q.site !== site) throw new HubHttpError('unknown_site', `this hub serves site ${site}, not ${q.site}`, 404);
      // A checkpoint beyond the copy: only HQ can say whether the gate must start over, and
      // only an answer HQ gave after this request arrived counts.
      const asked = opts.now();
      if (q.since > store.changeLog().checkpoint) {
        await Promise.race([puller.pull(), new Promise((r) => setTimeout(r, CHECK_WITH_HQ_MS).unref())]);
      }
      const caughtUp = puller.caughtUpAt !== undefined && puller.caughtUpAt > asked;
      const device = c.get('device');
      // As at HQ: a gate holds the tickets of its own lanes' venues, and hashes cards with the site's key.
      const venues = device?.role === 'gate' || device?.role === 'handheld' ? servedVenues(store, device.device) : parseVenues(q.venues);
      const skipKinds = device?.role === 'handheld' ? HANDHELD_SKIPS : undefined;
      const credentialKey = device?.role === 'kiosk' ? undefined : store.meta('credential_key');
      const batch = readHubChanges(store, { ...q, venues, skipKinds }, { serverTime: opts.serverTime(), caughtUp, credentialKey, refunded: opts.refunded && (() => opts.refunded!(opts.serverTime())) });
      if (!batch) throw new HubHttpError('not_synced', 'the hub has no copy of the change log yet (no answer from HQ so far)', 503);
      return c.json(batch);
    });
  const app = new Hono().route('/api/v1', api);
  if (opts.handheld) app.route('/api/v1', opts.handheld);
  if (opts.window) app.route('/api/v1', opts.window);
  if (opts.webDir) app.get('*', appFilesHandler(opts.webDir));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no such endpoint on the site hub: ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    const answer = errorAnswer(c, err);
    if (answer) return answer;
    if (err instanceof HubHttpError) return c.json({ error: { code: err.code, message: err.message } }, err.status);
    if (err instanceof ZodError) {
      const i = err.issues[0];
      return c.json({ error: { code: 'invalid_request', message: i ? `invalid ${i.path.join('.') || 'query'}: ${i.message}` : 'invalid request' } }, 400);
    }
    opts.log.error({ err }, 'unhandled error');
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  });
  return app;
}

/** The venues of the lanes a gate serves, from the hub's copy of HQ's records. */
function servedVenues(store: HubStore, device: string): string[] {
  const { devices, lanes } = store.siteRecords();
  const lanesOf = devices.get(device)?.lanes ?? [];
  return [...new Set(lanesOf.map((l) => lanes.get(l)?.venue).filter((v): v is string => v !== undefined))].sort();
}
