import { Hono } from 'hono';
import { z } from 'zod';
import { authorise } from './auth/middleware.ts';
import { catalogRoutes, priceCalendarRoutes } from './catalog/routes.ts';
import { channelApiRoutes, devicePickupRoutes, pickupRoutes } from './channels/routes.ts';
import type { CloudContext } from './context.ts';
import { entriesRoutes, overUseRoutes } from './entries/routes.ts';
import { faceRoutes } from './faces/routes.ts';
import { fingerprintRoutes } from './fingerprints/routes.ts';
import { memberRoutes } from './members/routes.ts';
import { customerRoutes } from './customers/routes.ts';
import { originRoutes } from './origin/routes.ts';
import { gateRoutes } from './gates/routes.ts';
import { ticketRoutes } from './tickets/routes.ts';
import { endpoint } from './http/endpoint.ts';
import type { CloudEnv } from './http/env.ts';
import { errorHandler } from './http/errors.ts';
import { errorBody, requestLocale } from './http/localise.ts';
import { appFilesHandler } from '../shared/http/app-files.ts';
import { API_BASE, apiDocument, channelDocument } from './openapi/api.ts';
import { httpBodyLimits } from './http/limits.ts';
import { refuseControlChars } from './http/control-chars.ts';
import { reportRoutes } from './reports/routes.ts';
import { salesRoutes } from './sales/routes.ts';
import { templateRoutes } from './templates/routes.ts';
import { deviceStreamRoutes, syncRoutes } from './sync/routes.ts';
import { deviceCredentialRoutes, deviceRoutes } from './devices/routes.ts';
import { siteRoutes } from './sites/routes.ts';
import { authRoutes, userRoutes } from './users/routes.ts';
import { kioskOwedRoutes } from './kiosk/owed.ts';
import { kioskRoutes } from './kiosk/routes.ts';
import { kioskWalletRoutes } from './kiosk/wallets.ts';
import { liveRoutes } from './live/routes.ts';
import { SimulatedMobileProvider } from './office/payments/mobile.ts';
import { officeRoutes } from './office/routes.ts';
import { auditRoutes } from './audit/routes.ts';
import { quoteRoutes } from './quote/routes.ts';
import { searchRoutes } from './search/routes.ts';
import { hubLeaseRoutes, hubSalesRoutes } from './hub-sales/routes.ts';
import { capacityRoutes } from './capacity/routes.ts';
import { noticeRoutes } from './channels/notice-routes.ts';
import { lockerRoutes, posSyncRoutes, shopRoutes, walletRoutes } from './wallet/routes.ts';

const healthView = z.object({ ok: z.boolean(), site: z.string(), keyId: z.string(), time: z.number().int().describe('Server clock, ms since the epoch'), node: z.string().optional(), leader: z.boolean().optional() });

export function createApp(ctx: CloudContext, opts: { webDir?: string } = {}) {
  // Made on first request from the routes themselves, then kept: the routes do not change.
  const made: { app?: Hono<CloudEnv>; document?: object; channels?: object } = {};
  // One simulated provider for the kiosks' sales and wallets: an attempt is one intent there.
  const kioskPayments = new SimulatedMobileProvider({ now: () => ctx.now() });
  // Every call is authorised on the server against one policy table (auth/policy.ts).
  const api = new Hono<CloudEnv>()
    .use('*', refuseControlChars())
    .use('*', authorise(ctx, API_BASE))
    .get('/health', endpoint({ summary: '服务状态 / site, signing key id and server time', responses: { 200: healthView } }),
      (c) => c.json({ ok: true, site: ctx.config.site, keyId: ctx.key.keyId, time: ctx.now(), ...(ctx.cluster && { node: ctx.cluster.node, leader: ctx.cluster.leader() }) }))
    .get('/openapi.json', endpoint({ summary: 'OpenAPI 3.1 document of this API', responses: { 200: { description: 'The document' } } }),
      (c) => c.json(made.document ??= apiDocument(made.app!)))
    .get('/channels/openapi.json', endpoint({ summary: 'OpenAPI 3.1 document of the booking API (channels)', responses: { 200: { description: 'The document' } } }),
      (c) => c.json(made.channels ??= channelDocument(made.app!)))
    .route('/auth', authRoutes(ctx))
    .route('/users', userRoutes(ctx))
    .route('/ticket-types', catalogRoutes(ctx))
    .route('/price-calendar', priceCalendarRoutes(ctx))
    .route('/sales', salesRoutes(ctx))
    .route('/tickets', ticketRoutes(ctx))
    .route('/tickets', faceRoutes(ctx))
    .route('/tickets', fingerprintRoutes(ctx))
    .route('/entries', entriesRoutes(ctx))
    .route('/templates', templateRoutes(ctx))
    .route('/over-use', overUseRoutes(ctx))
    .route('/device-streams', deviceStreamRoutes(ctx))
    .route('/device-credentials', deviceCredentialRoutes(ctx))
    .route('/sites', siteRoutes(ctx))
    .route('/', deviceRoutes(ctx))
    .route('/', gateRoutes(ctx))
    .route('/members', memberRoutes(ctx))
    // Mobile payments go to the simulated provider until a real one is configured.
    .route('/', officeRoutes(ctx, new SimulatedMobileProvider({ now: () => ctx.now() })))
    .route('/', searchRoutes(ctx))
    .route('/', capacityRoutes(ctx))
    .route('/quote', quoteRoutes(ctx))
    .route('/customers', customerRoutes(ctx))
    .route('/origin', originRoutes(ctx))
    .route('/channels/admin', noticeRoutes(ctx))
    .route('/channels', channelApiRoutes(ctx))
    .route('/pickups', pickupRoutes(ctx))
    .route('/reports', reportRoutes(ctx))
    .route('/audit', auditRoutes(ctx))
    .route('/kiosk-sales', kioskOwedRoutes(ctx))
    .route('/wallets', walletRoutes(ctx))
    .route('/shops', shopRoutes(ctx))
    .route('/lockers', lockerRoutes(ctx))
    .route('/live', liveRoutes(ctx))
    .route('/hub-leases', hubLeaseRoutes(ctx))
    // Everything under /sync is for devices, signed in with their own credentials.
    .use('/sync/*', ctx.deviceAuth.http())
    .route('/sync/pickups', devicePickupRoutes(ctx))
    .route('/sync/hub', hubSalesRoutes(ctx))
    .route('/sync/kiosk', kioskRoutes(ctx, { payments: kioskPayments }))
    .route('/sync/kiosk/wallets', kioskWalletRoutes(ctx, { payments: kioskPayments }))
    .route('/sync/pos', posSyncRoutes(ctx))
    .route('/sync', syncRoutes(ctx));
  const app = new Hono<CloudEnv>().use(`${API_BASE}/*`, httpBodyLimits(ctx.config)).route(API_BASE, api);
  // The back office app at /, beside the API it talks to (opts.webDir: its build directory).
  if (opts.webDir) app.get('*', appFilesHandler(opts.webDir));
  app.notFound((c) => c.json(errorBody('not_found', `no such endpoint: ${c.req.method} ${c.req.path}`, { what: 'endpoint', id: `${c.req.method} ${c.req.path}` }, requestLocale(c)), 404));
  app.onError(errorHandler(ctx.log));
  made.app = app;
  return app;
}
