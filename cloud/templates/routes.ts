import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { jsonBody } from '../http/errors.ts';
import { createTemplate, editTemplate, getTemplate, listTemplates, listVersions, newTemplate, previewPng, previewRequest, templateEdit } from './service.ts';

const previewQuery = z.object({
  ticket: z.string().uuid().optional(),
  version: z.coerce.number().int().positive().optional(),
});
const versionQuery = z.object({ version: z.coerce.number().int().positive().optional() });

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
  return new Hono()
    .get('/', async (c) => c.json({ items: await listTemplates(ctx) }))
    .post('/', async (c) => c.json(await createTemplate(ctx, newTemplate.parse(await jsonBody(c))), 201))
    .post('/preview.png', async (c) => {
      const req = previewRequest.parse(await jsonBody(c));
      return png(await previewPng(ctx, req.layout, req.ticket));
    })
    .get('/:code', async (c) => c.json(await getTemplate(ctx, c.req.param('code'), versionQuery.parse(c.req.query()).version)))
    .put('/:code', async (c) => c.json(await editTemplate(ctx, c.req.param('code'), templateEdit.parse(await jsonBody(c)))))
    .get('/:code/versions', async (c) => c.json({ items: await listVersions(ctx, c.req.param('code')) }))
    .get('/:code/preview.png', async (c) => {
      const q = previewQuery.parse(c.req.query());
      const t = await getTemplate(ctx, c.req.param('code'), q.version);
      return png(await previewPng(ctx, t.layout, q.ticket));
    });
}
