import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { jsonBody } from '../http/errors.ts';

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - or _, up to 64');
const request = z.strictObject({ site: name, device: name, role: z.enum(['gate', 'kiosk', 'hub']) });

/**
 * Issues a device's credential (administrators only): what goes in a gate's or kiosk's config
 * as `token`, and for a site hub the site key it checks its LAN devices with.
 */
export function deviceCredentialRoutes(ctx: CloudContext) {
  return new Hono().post('/', async (c) => {
    const { site, device, role } = request.parse(await jsonBody(c));
    const credential = ctx.deviceAuth.issue(role, site, device);
    ctx.log.info({ site, device, role }, 'device credential issued');
    return c.json({ site, device, role, ...credential, ...(role === 'hub' ? { siteKey: ctx.deviceAuth.siteKeyHex(site) } : {}) }, 201);
  });
}
