import { Hono } from 'hono';
import { authorise } from './auth/middleware.ts';
import { catalogRoutes } from './catalog/routes.ts';
import { channelApiRoutes, devicePickupRoutes, pickupRoutes } from './channels/routes.ts';
import type { CloudContext } from './context.ts';
import { entriesRoutes, overUseRoutes } from './entries/routes.ts';
import { faceRoutes } from './faces/routes.ts';
import { memberRoutes } from './members/routes.ts';
import { customerRoutes } from './customers/routes.ts';
import { originRoutes } from './origin/routes.ts';
import { gateRoutes } from './gates/routes.ts';
import { ticketRoutes } from './tickets/routes.ts';
import { errorHandler } from './http/errors.ts';
import { reportRoutes } from './reports/routes.ts';
import { salesRoutes } from './sales/routes.ts';
import { templateRoutes } from './templates/routes.ts';
import { deviceStreamRoutes, syncRoutes } from './sync/routes.ts';
import { deviceCredentialRoutes, deviceRoutes } from './devices/routes.ts';
import { siteRoutes } from './sites/routes.ts';
import { authRoutes, userRoutes } from './users/routes.ts';
import { kioskRoutes } from './kiosk/routes.ts';
import { SimulatedMobileProvider } from './office/mobile.ts';
import { officeRoutes } from './office/routes.ts';

export function createApp(ctx: CloudContext) {
  // Every call is authorised on the server against one policy table (auth/policy.ts).
  const api = new Hono()
    .use('*', authorise(ctx, '/api/v1'))
    .get('/health', (c) => c.json({ ok: true, site: ctx.config.site, keyId: ctx.key.keyId, time: ctx.now() }))
    .route('/auth', authRoutes(ctx))
    .route('/users', userRoutes(ctx))
    .route('/ticket-types', catalogRoutes(ctx))
    .route('/sales', salesRoutes(ctx))
    .route('/tickets', ticketRoutes(ctx))
    .route('/tickets', faceRoutes(ctx))
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
    .route('/customers', customerRoutes(ctx))
    .route('/origin', originRoutes(ctx))
    .route('/channels', channelApiRoutes(ctx))
    .route('/pickups', pickupRoutes(ctx))
    .route('/reports', reportRoutes(ctx))
    // Everything under /sync is for devices, signed in with their own credentials.
    .use('/sync/*', ctx.deviceAuth.http())
    .route('/sync/pickups', devicePickupRoutes(ctx))
    .route('/sync/kiosk', kioskRoutes(ctx, { payments: new SimulatedMobileProvider({ now: () => ctx.now() }) }))
    .route('/sync', syncRoutes(ctx));
  const app = new Hono().route('/api/v1', api);
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no such endpoint: ${c.req.method} ${c.req.path}` } }, 404));
  app.onError(errorHandler(ctx.log));
  return app;
}
