import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { FACE_IMAGE_TYPES } from '../../shared/face/image.ts';
import type { FacePipeline } from '../../shared/face/pipeline.ts';
import type { CloudContext } from '../context.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { AppError, jsonBody } from '../http/errors.ts';
import { enrolFace, FACE_SOURCES, getFace, purgeExpiredFaces, removeFace, type FaceSource } from './service.ts';

/** A photo for enrolment is at most this big (a phone photo; frames from a camera are far smaller). */
export const MAX_PHOTO_BYTES = 8 * 1024 * 1024;

const jsonRequest = z.object({
  /** The photo, base64 (a data: URL prefix is accepted). */
  image: z.string().min(16).max(Math.ceil(MAX_PHOTO_BYTES * 4 / 3) + 64),
  source: z.enum(FACE_SOURCES).default('upload'),
});

async function photo(c: Context): Promise<{ image: Buffer; source: FaceSource }> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const length = Number(c.req.header('content-length') ?? 0);
  if (length > MAX_PHOTO_BYTES * 1.4) throw new AppError('too_large', `a photo is at most ${MAX_PHOTO_BYTES} bytes`, 413);
  if ((FACE_IMAGE_TYPES as readonly string[]).includes(type)) {
    const image = Buffer.from(await c.req.arrayBuffer());
    if (image.length === 0) throw new AppError('bad_image', 'empty body');
    if (image.length > MAX_PHOTO_BYTES) throw new AppError('too_large', `a photo is at most ${MAX_PHOTO_BYTES} bytes`, 413);
    const source = z.enum(FACE_SOURCES).default('upload').parse(c.req.query('source') ?? undefined);
    return { image, source };
  }
  if (type === 'application/json') {
    const body = jsonRequest.parse(await jsonBody(c));
    const image = Buffer.from(body.image.replace(/^data:image\/[a-z]+;base64,/, ''), 'base64');
    if (image.length === 0) throw new AppError('bad_image', 'image is not base64');
    if (image.length > MAX_PHOTO_BYTES) throw new AppError('too_large', `a photo is at most ${MAX_PHOTO_BYTES} bytes`, 413);
    return { image, source: body.source };
  }
  throw new AppError('unsupported_media_type', `send ${FACE_IMAGE_TYPES.join(', ')}, or JSON {"image": base64 of one of them}`, 415, { accepts: [...FACE_IMAGE_TYPES, 'application/json'] });
}

/**
 * Face binding at HQ, under /tickets: `POST /:id/face` (a JPEG, PNG or WebP body, or JSON with base64),
 * `GET /:id/face` (model and dates, never the embedding), `DELETE /:id/face`. The pipeline is
 * opened on first use (its models are built then if absent) and kept for this app.
 */
export function faceRoutes(ctx: CloudContext, opts: { pipeline?: () => Promise<FacePipeline> } = {}) {
  let pipeline: Promise<FacePipeline> | undefined;
  const open = () => {
    pipeline ??= (opts.pipeline ?? (async () => (await import('../../shared/face/pipeline.ts')).FacePipeline.open()))();
    pipeline.catch(() => { pipeline = undefined; });
    return pipeline;
  };
  const id = z.object({ id: z.string() });
  return new Hono<CloudEnv>()
    .post('/:id/face', endpoint({
      summary: '人脸登记 / enrol the face of a ticket\'s holder (HQ keeps the embedding, never the photo)', params: id,
      otherBodies: { 'image/jpeg': null, 'image/png': null, 'application/json': jsonRequest },
      query: z.object({ source: z.enum(FACE_SOURCES).optional() }), responses: { 201: { description: 'The face record (model and dates)' } },
    }), async (c) => {
      const { image, source } = await photo(c);
      const p = await open().catch((err: Error) => {
        ctx.log.error({ err: err.message }, 'face models unavailable');
        throw new AppError('face_unavailable', 'face models are not available on this server', 503);
      });
      await purgeExpiredFaces(ctx);
      return c.json(await enrolFace(ctx, p, c.req.valid('param').id, image, source), 201);
    })
    .get('/:id/face', endpoint({ summary: '人脸信息 / model and dates of a ticket\'s face, never the embedding', params: id }),
      async (c) => c.json(await getFace(ctx, c.req.valid('param').id)))
    .delete('/:id/face', endpoint({ summary: '解绑人脸 / unbind the face of a ticket', params: id }),
      async (c) => c.json(await removeFace(ctx, c.req.valid('param').id)));
}
