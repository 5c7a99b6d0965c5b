import { Hono } from 'hono';
import { z } from 'zod';
import { MODES } from '../../shared/rules/model.ts';
import type { CloudContext } from '../context.ts';
import { requireDevice } from '../devices/service.ts';
import { jsonBody, notFound } from '../http/errors.ts';
import { requireSite, siteName } from '../sites/service.ts';
import { commandInput, getCommand, listCommands, sendCommand } from './commands.ts';
import { setMode } from './service.ts';

/** PUT /sites/:site/mode and /sites/:site/devices/:device/mode */
export const modeBody = z.strictObject({ mode: z.enum(MODES) });

/** Modes and commands: what supervisors switch and send, to a site or to one of its devices. */
export function gateRoutes(ctx: CloudContext) {
  const site = async (p: string | undefined) => (await requireSite(ctx.db, siteName.parse(p))).id;
  const device = async (s: string | undefined, d: string | undefined) => {
    const row = await requireDevice(ctx.db, siteName.parse(s), d ?? '');
    return { site: row.site, device: row.device };
  };
  return new Hono()
    .put('/sites/:site/mode', async (c) => {
      const s = await site(c.req.param('site'));
      return c.json(await setMode(ctx, s, '', modeBody.parse(await jsonBody(c)).mode));
    })
    .put('/sites/:site/devices/:device/mode', async (c) => {
      const d = await device(c.req.param('site'), c.req.param('device'));
      return c.json(await setMode(ctx, d.site, d.device, modeBody.parse(await jsonBody(c)).mode));
    })
    .post('/sites/:site/devices/:device/commands', async (c) => {
      const d = await device(c.req.param('site'), c.req.param('device'));
      return c.json(await sendCommand(ctx, d.site, d.device, commandInput.parse(await jsonBody(c))), 201);
    })
    .get('/sites/:site/devices/:device/commands', async (c) => {
      const d = await device(c.req.param('site'), c.req.param('device'));
      return c.json({ items: await listCommands(ctx, d.site, d.device) });
    })
    .get('/commands/:id', async (c) => {
      const row = await getCommand(ctx, c.req.param('id'));
      if (!row) throw notFound('command', c.req.param('id'));
      return c.json(row);
    });
}
