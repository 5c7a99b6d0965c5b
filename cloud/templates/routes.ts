import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { createTemplate, editTemplate, getTemplate, listTemplates, listVersions, newTemplate, previewPng, previewRequest, templateEdit } from './service.ts';

const previewQuery = z.object({
  ticket: z.string().uuid().optional(),
  version: z.coerce.number().int().positive().optional(),
});
const versionQuery = z.object({ version: z.coerce.number().int().positive().optional() });

const code = z.object({ code: z.string() });
const pngAnswer = { 200: { description: 'PNG image', contentType: 'image/png' } };

const png = (body: Buffer) => new Response(new Uint8Array(body), { headers: { 'content-type': 'image/png', 'cache-control': 'no-store' } });

/**
 * Ticket print templates (the designer's API), mounted at /templates:
 *   GET  /                     newest version of each
 *   POST /                     {code, name, type?, layout} -> version 1
 *   GET  /:code[?version=]     one template (newest, or a given version)
 *   PUT  /:code                {layout, name?, type?, baseVersion?} -> the next version
 *   GET  /:code/versions       its version history
 *   GET  /:code/preview.png[?ticket=<id>&version=]  as printed, for a sold ticket or a sample
 *   POST /preview.png          {layout, ticket?}: an unsaved layout, for the designer's live view
 */
export function templateRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '票面模板 / newest version of each template' }), async (c) => c.json({ items: await listTemplates(ctx) }))
    .post('/', endpoint({ summary: '新建模板 / a template, version 1', body: newTemplate, responses: { 201: { description: 'The template' } } }),
      async (c) => c.json(await createTemplate(ctx, c.req.valid('json')), 201))
    .post('/preview.png', endpoint({ summary: '预览 / an unsaved layout as printed', body: previewRequest, responses: pngAnswer }), async (c) => {
      const req = c.req.valid('json');
      return png(await previewPng(ctx, req.layout, req.ticket));
    })
    .get('/:code', endpoint({ summary: '模板 / one template (newest, or a given version)', params: code, query: versionQuery }),
      async (c) => c.json(await getTemplate(ctx, c.req.valid('param').code, c.req.valid('query').version)))
    .put('/:code', endpoint({ summary: '修改模板 / the next version (409 if baseVersion is not the newest)', params: code, body: templateEdit }),
      async (c) => c.json(await editTemplate(ctx, c.req.valid('param').code, c.req.valid('json'))))
    .get('/:code/versions', endpoint({ summary: '版本历史 / a template\'s versions', params: code }),
      async (c) => c.json({ items: await listVersions(ctx, c.req.valid('param').code) }))
    .get('/:code/preview.png', endpoint({ summary: '预览 / as printed, for a sold ticket or a sample', params: code, query: previewQuery, responses: pngAnswer }), async (c) => {
      const q = c.req.valid('query');
      const t = await getTemplate(ctx, c.req.valid('param').code, q.version);
      return png(await previewPng(ctx, t.layout, q.ticket));
    });
}
