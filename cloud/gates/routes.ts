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
import { setMode } from './service.ts';

/** PUT /sites/:site/mode and /sites/:site/devices/:device/mode */
export const modeBody = z.strictObject({ mode: z.enum(MODES) });
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
        return c.json(await setMode(ctx, s, '', c.req.valid('json').mode));
      })
    .put('/sites/:site/devices/:device/mode', endpoint({ summary: '设备模式 / normal, closed or emergency for one device', params: device, body: modeBody, responses: { 200: desiredView } }),
      async (c) => {
        const d = await known(c.req.valid('param'));
        return c.json(await setMode(ctx, d.site, d.device, c.req.valid('json').mode));
      })
    .post('/sites/:site/devices/:device/commands', endpoint({ summary: '下发指令 / open-once, sync-now, reboot', params: device, body: commandInput, responses: { 201: { description: 'The command' } } }),
      async (c) => {
        const d = await known(c.req.valid('param'));
        return c.json(await sendCommand(ctx, d.site, d.device, c.req.valid('json')), 201);
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
