import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { recordIssued } from './issued.ts';

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - or _, up to 64');
const request = z.strictObject({ site: name, device: name, role: z.enum(['gate', 'kiosk', 'hub']) });

/**
 * Issues a device's credential (administrators only): what goes in a gate's or kiosk's config
 * as `token`, and for a site hub the site key it checks its LAN devices with.
 */
export function deviceCredentialRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>().post('/', endpoint({ summary: '设备凭证 / issue a device\'s credential (a hub also gets its site key)', body: request, responses: { 201: { description: 'The credential' } } }), async (c) => {
    const { site, device, role } = c.req.valid('json');
    const credential = ctx.deviceAuth.issue(role, site, device);
    await recordIssued(ctx.db, role, site, device);
    // An external broker learns the account now (cloud/mqtt/dynsec.ts), the built-in one needs
    // nothing. A broker out of reach gets it on HQ's next connect: the credential is recorded.
    await ctx.brokerAccounts?.register({ role, site, device, ...credential })
      .catch((err: Error) => ctx.log.warn({ site, device, err: err.message }, 'broker account not made yet; it will be on the next connect'));
    ctx.log.info({ site, device, role }, 'device credential issued');
    return c.json({ site, device, role, ...credential, ...(role === 'hub' ? { siteKey: ctx.deviceAuth.siteKeyHex(site) } : {}) }, 201);
  });
}
