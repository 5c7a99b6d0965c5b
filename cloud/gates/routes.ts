import { Hono } from 'hono';
import { z } from 'zod';
import { laneRules, MODES } from '../../shared/rules/model.ts';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { notFound } from '../http/errors.ts';
import { commandInput, getCommand, listCommands, sendCommand } from './commands.ts';
import { listDevices, listLanes, putLane, setMode } from './service.ts';

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const modeBody = z.object({ mode: z.enum(MODES) });
const site = z.object({ site: name });
const device = z.object({ site: name, device: name });
const desiredView = z.object({ mode: z.enum(MODES), version: z.number().int().describe('Change-log sequence: the newest wins'), at: z.number().int() }).meta({ id: 'DesiredMode' });

/** Lanes, modes and device status of a site: what supervisors set and watch. */
export function gateRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/devices', endpoint({ summary: '设备 / every device: presence, mode, lane status, backlog' }),
      async (c) => c.json({ items: await listDevices(ctx) }))
    .get('/sites/:site/devices', endpoint({ summary: '景区设备 / the devices of a site', params: site }),
      async (c) => c.json({ items: await listDevices(ctx, c.req.valid('param').site) }))
    .get('/sites/:site/lanes', endpoint({ summary: '通道规则 / lane release rules of a site', params: site, responses: { 200: z.object({ items: z.array(laneRules) }) } }),
      async (c) => c.json({ items: await listLanes(ctx, c.req.valid('param').site) }))
    .put('/sites/:site/lanes/:lane', endpoint({ summary: '设置通道规则 / set a lane\'s rules', params: z.object({ site: name, lane: name }), body: laneRules.partial({ lane: true }), responses: { 200: laneRules } }),
      async (c) => c.json(await putLane(ctx, c.req.valid('param').site, c.req.valid('param').lane, c.req.valid('json'))))
    .put('/sites/:site/mode', endpoint({ summary: '景区模式 / normal, closed or emergency for every gate of a site', params: site, body: modeBody, responses: { 200: desiredView } }),
      async (c) => c.json(await setMode(ctx, c.req.valid('param').site, '', c.req.valid('json').mode)))
    .post('/sites/:site/devices/:device/commands', endpoint({ summary: '下发指令 / open-once, sync-now, reboot', params: device, body: commandInput, responses: { 201: { description: 'The command' } } }),
      async (c) => c.json(await sendCommand(ctx, c.req.valid('param').site, c.req.valid('param').device, c.req.valid('json')), 201))
    .get('/sites/:site/devices/:device/commands', endpoint({ summary: '指令记录 / commands sent to a device', params: device }),
      async (c) => c.json({ items: await listCommands(ctx, c.req.valid('param').site, c.req.valid('param').device) }))
    .get('/commands/:id', endpoint({ summary: '指令 / one command with its answers', params: z.object({ id: z.string() }) }), async (c) => {
      const row = await getCommand(ctx, c.req.valid('param').id);
      if (!row) throw notFound('command', c.req.valid('param').id);
      return c.json(row);
    })
    .put('/sites/:site/devices/:device/mode', endpoint({ summary: '设备模式 / normal, closed or emergency for one device', params: device, body: modeBody, responses: { 200: desiredView } }),
      async (c) => c.json(await setMode(ctx, c.req.valid('param').site, c.req.valid('param').device, c.req.valid('json').mode)));
}
