import { Hono } from 'hono';
import { z } from 'zod';
import { MODES } from '../../shared/rules/model.ts';
import type { CloudContext } from '../context.ts';
import { jsonBody, notFound } from '../http/errors.ts';
import { commandInput, getCommand, listCommands, sendCommand } from './commands.ts';
import { listDevices, listLanes, putLane, setMode } from './service.ts';

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const modeBody = z.object({ mode: z.enum(MODES) });

/** Lanes, modes and device status of a site: what supervisors set and watch. */
export function gateRoutes(ctx: CloudContext) {
  return new Hono()
    .get('/devices', async (c) => c.json({ items: await listDevices(ctx) }))
    .get('/sites/:site/devices', async (c) => c.json({ items: await listDevices(ctx, name.parse(c.req.param('site'))) }))
    .get('/sites/:site/lanes', async (c) => c.json({ items: await listLanes(ctx, name.parse(c.req.param('site'))) }))
    .put('/sites/:site/lanes/:lane', async (c) =>
      c.json(await putLane(ctx, name.parse(c.req.param('site')), name.parse(c.req.param('lane')), await jsonBody(c))))
    .put('/sites/:site/mode', async (c) =>
      c.json(await setMode(ctx, name.parse(c.req.param('site')), '', modeBody.parse(await jsonBody(c)).mode)))
    .post('/sites/:site/devices/:device/commands', async (c) =>
      c.json(await sendCommand(ctx, name.parse(c.req.param('site')), name.parse(c.req.param('device')), commandInput.parse(await jsonBody(c))), 201))
    .get('/sites/:site/devices/:device/commands', async (c) =>
      c.json({ items: await listCommands(ctx, name.parse(c.req.param('site')), name.parse(c.req.param('device'))) }))
    .get('/commands/:id', async (c) => {
      const row = await getCommand(ctx, c.req.param('id'));
      if (!row) throw notFound('command', c.req.param('id'));
      return c.json(row);
    })
    .put('/sites/:site/devices/:device/mode', async (c) =>
      c.json(await setMode(ctx, name.parse(c.req.param('site')), name.parse(c.req.param('device')), modeBody.parse(await jsonBody(c)).mode)));
}
