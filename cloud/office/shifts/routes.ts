import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../../context.ts';
import { endpoint } from '../../http/endpoint.ts';
import type { CloudEnv } from '../../http/env.ts';
import { shiftView } from '../../openapi/responses.ts';
import { closeRequest, closeShift, currentShift, getShift, openRequest, openShift, printShift } from './shifts.ts';

const id = z.object({ id: z.string() });

/** A seller's shift (班次): opened with a float, closed (交班) against what was counted, its report sealed. */
export function shiftRoutes(ctx: CloudContext) {
  const shifts = new Hono<CloudEnv>()
    .post('/', endpoint({ summary: '开班 / open a shift with a float', body: openRequest, responses: { 201: shiftView }, signedIn: true }),
      async (c) => c.json(await openShift(ctx, c.get('user'), c.req.valid('json')), 201))
    .get('/current', endpoint({ summary: '当前班次 / my open shift', responses: { 200: shiftView }, signedIn: true }),
      async (c) => c.json(await currentShift(ctx, c.get('user'))))
    .get('/:id', endpoint({ summary: '班次 / a shift with its sealed report once closed', params: id, responses: { 200: shiftView } }),
      async (c) => c.json(await getShift(ctx, c.req.valid('param').id)))
    .get('/:id/print', endpoint({ summary: '交班报表 / the sealed report as printed', params: id, responses: { 200: { description: 'Plain text', contentType: 'text/plain' } } }),
      async (c) => c.text(await printShift(ctx, c.req.valid('param').id)))
    .post('/:id/close', endpoint({ summary: '交班 / close: counted against expected per method; the report is sealed', params: id, body: closeRequest, responses: { 200: shiftView }, signedIn: true }),
      async (c) => c.json(await closeShift(ctx, c.get('user'), c.req.valid('param').id, c.req.valid('json'))));
  return new Hono<CloudEnv>().route('/shifts', shifts);
}
