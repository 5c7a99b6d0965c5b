import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { AppError, jsonBody } from '../http/errors.ts';
import { siteName } from '../sites/service.ts';
import { devicePut, getDevice, listDevices, provisionDevice, requireDevice } from './service.ts';

/** POST /device-credentials */
export const credentialRequest = z.strictObject({ site: siteName, device: siteName, role: z.enum(['gate', 'kiosk', 'hub']) });

/**
 * Issues a provisioned device's credential (administrators only): what goes in a gate's or
 * kiosk's config as `token`, and for a site hub the site key it checks its LAN devices with.
 */
export function deviceCredentialRoutes(ctx: CloudContext) {
  return new Hono().post('/', async (c) => {
    const { site, device, role } = credentialRequest.parse(await jsonBody(c));
    const record = await requireDevice(ctx.db, site, device);
    if (record.role !== role) throw new AppError('wrong_role', `设备 ${device} 登记为 ${record.role} / device ${device} is provisioned as a ${record.role}, not a ${role}`, 409);
    const credential = ctx.deviceAuth.issue(role, site, device);
    ctx.log.info({ site, device, role }, 'device credential issued');
    return c.json({ site, device, role, ...credential, ...(role === 'hub' ? { siteKey: ctx.deviceAuth.siteKeyHex(site) } : {}) }, 201);
  });
}

/** Devices as HQ knows them: provisioning (role, lanes) and the live view (presence, modes, alarms). */
export function deviceRoutes(ctx: CloudContext) {
  return new Hono()
    .get('/devices', async (c) => c.json({ items: await listDevices(ctx) }))
    .get('/sites/:site/devices', async (c) => c.json({ items: await listDevices(ctx, siteName.parse(c.req.param('site'))) }))
    .get('/sites/:site/devices/:device', async (c) => c.json(await getDevice(ctx, siteName.parse(c.req.param('site')), c.req.param('device'))))
    .put('/sites/:site/devices/:device', async (c) =>
      c.json(await provisionDevice(ctx, siteName.parse(c.req.param('site')), c.req.param('device'), devicePut.parse(await jsonBody(c)))));
}
