import { Hono } from 'hono';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { AppError } from '../http/errors.ts';
import { enrolFingerprint, FINGERPRINT_FORMATS, getFingerprint, purgeExpiredFingerprints, removeFingerprint, type FingerprintFormat } from './service.ts';

const formats = Object.keys(FINGERPRINT_FORMATS) as [FingerprintFormat, ...FingerprintFormat[]];
const enrolBody = z.object({
  /** The module's template (character file), base64. */
  template: z.string().min(4).max(2048).regex(/^[A-Za-z0-9+/]*={0,2}$/),
  format: z.enum(formats).default('r30x-512'),
});

/**
 * Fingerprint binding at HQ, under /tickets: `POST /:id/fingerprint` (JSON: the template the
 * window's module made), `GET /:id/fingerprint` (format and dates, never the template),
 * `DELETE /:id/fingerprint`.
 */
export function fingerprintRoutes(ctx: CloudContext) {
  const id = z.object({ id: z.string() });
  return new Hono<CloudEnv>()
    .post('/:id/fingerprint', endpoint({
      summary: '指纹登记 / bind a fingerprint template (never an image) to a ticket or member card\'s ticket', params: id, body: enrolBody,
      responses: { 201: { description: 'The fingerprint record (format and dates)' } },
    }), async (c) => {
      const body = c.req.valid('json');
      const template = Buffer.from(body.template, 'base64');
      if (template.length % 4 === 3 || body.template.length % 4 !== 0) throw new AppError('bad_template', 'template is not base64', 422);
      await purgeExpiredFingerprints(ctx);
      return c.json(await enrolFingerprint(ctx, c.req.valid('param').id, template, body.format), 201);
    })
    .get('/:id/fingerprint', endpoint({ summary: '指纹信息 / format and dates of a ticket\'s fingerprint, never the template', params: id }),
      async (c) => c.json(await getFingerprint(ctx, c.req.valid('param').id)))
    .delete('/:id/fingerprint', endpoint({ summary: '解绑指纹 / unbind the fingerprint of a ticket', params: id }),
      async (c) => c.json(await removeFingerprint(ctx, c.req.valid('param').id)));
}
