import { Hono } from 'hono';
import { z } from 'zod';
import { MODES } from '../../shared/rules/model.ts';
import type { CloudContext } from '../context.ts';
import { requireDevice } from '../devices/service.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { notFound } from '../http/errors.ts';
import { requireSite, siteName } from '../sites/service.ts';
import { commandInput, getCommand, listCommands, sendCommand } from './commands.ts';
import { setMode, setVenueMode } from './service.ts';

const actorOf = (u: { username: string } | undefined) => u?.username ?? 'system';

/** PUT /sites/:site/mode and /sites/:site/devices/:device/mode */
export const modeBody = z.strictObject({
  mode: z.enum(MODES),
  reason: z.string().trim().min(1).max(200).optional().describe('Why (kept in the audit chain); the back office always asks for it'),
});
const site = z.object({ site: siteName });
const device = z.object({ site: siteName, device: siteName });
export const desiredView = z.object({ mode: z.enum(MODES), version: z.number().int().describe('Change-log sequence: the newest wins'), at: z.number().int() }).meta({ id: 'DesiredMode' });

/** Modes and commands: what supervisors switch and send, to a site or to one of its devices. */
export function gateRoutes(ctx: CloudContext) {
  /** The device a call names, checked against HQ's records (404 for one it does not know). */
  const known = async (p: { site: string; device: string }) => {
    const row = await requireDevice(ctx.db, p.site, p.device);
    return { site: row.site, device: row.device };
  };
  return new Hono<CloudEnv>()
    .put('/sites/:site/mode', endpoint({ summary: '景区模式 / normal, closed or emergency for every gate of a site', params: site, body: modeBody, responses: { 200: desiredView } }),
      async (c) => {
        const s = (await requireSite(ctx.db, c.req.valid('param').site)).id;
        const b = c.req.valid('json');
        return c.json(await setMode(ctx, s, '', b.mode, { actor: actorOf(c.get('user')), reason: b.reason }));
      })
    .put('/sites/:site/venues/:venue/mode', endpoint({
      summary: '园区模式 / normal, closed or emergency for every gate serving a lane of a venue (a lane group)', params: z.object({ site: siteName, venue: z.string() }), body: modeBody,
      responses: { 200: z.object({ items: z.array(z.object({ device: z.string(), desired: desiredView })) }) },
    }), async (c) => {
      const p = c.req.valid('param');
      const b = c.req.valid('json');
      return c.json({ items: await setVenueMode(ctx, (await requireSite(ctx.db, p.site)).id, p.venue, b.mode, { actor: actorOf(c.get('user')), reason: b.reason }) });
    })
    .put('/sites/:site/devices/:device/mode', endpoint({ summary: '设备模式 / normal, closed or emergency for one device', params: device, body: modeBody, responses: { 200: desiredView } }),
      async (c) => {
        const d = await known(c.req.valid('param'));
        const b = c.req.valid('json');
        return c.json(await setMode(ctx, d.site, d.device, b.mode, { actor: actorOf(c.get('user')), reason: b.reason }));
      })
    .post('/sites/:site/devices/:device/commands', endpoint({ summary: '下发指令 / open-once, sync-now, reboot', params: device, body: commandInput, responses: { 201: { description: 'The command' } } }),
      async (c) => {
        const d = await known(c.req.valid('param'));
        return c.json(await sendCommand(ctx, d.site, d.device, c.req.valid('json'), actorOf(c.get('user'))), 201);
      })
    .get('/sites/:site/devices/:device/commands', endpoint({ summary: '指令记录 / commands sent to a device', params: device }),
      async (c) => {
        const d = await known(c.req.valid('param'));
        return c.json({ items: await listCommands(ctx, d.site, d.device) });
      })
    .get('/commands/:id', endpoint({ summary: '指令 / one command with its answers', params: z.object({ id: z.string() }) }), async (c) => {
      const row = await getCommand(ctx, c.req.valid('param').id);
      if (!row) throw notFound('command', c.req.valid('param').id);
      return c.json(row);
    });
}
