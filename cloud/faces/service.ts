import { eq, lt } from 'drizzle-orm';
import { z } from 'zod';
import { FaceImageError } from '../../shared/face/image.ts';
import type { FacePipeline } from '../../shared/face/pipeline.ts';
import { DEFAULT_QUALITY } from '../../shared/face/quality.ts';
import { encodeEmbedding } from '../../shared/face/seal.ts';
import type { CloudContext } from '../context.ts';
import { faces, tickets } from '../db/schema/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import { appendChanges } from '../sync/changes.ts';

const uuid = z.string().uuid();
const MIN_ENROL_WIDTH = DEFAULT_QUALITY.minFaceWidth;
export const FACE_SOURCES = ['upload', 'window-camera', 'idcard'] as const;
export type FaceSource = (typeof FACE_SOURCES)[number];

/** The ticket a biometric binding is for (a face here, a fingerprint in cloud/fingerprints), or 404. */
export async function ticketFor(ctx: CloudContext, id: string) {
  if (!uuid.safeParse(id).success) throw notFound('ticket', id);
  const [t] = await ctx.db.select().from(tickets).where(eq(tickets.id, id));
  if (!t) throw notFound('ticket', id);
  return t;
}

/**
 * Binds a face to a ticket from a photo: the embedding is computed here with the same pipeline
 * code the gates run, stored with its model id, and sent down the change log to the ticket's
 * site. The photo itself is not kept anywhere.
 */
export async function enrolFace(ctx: CloudContext, pipeline: FacePipeline, ticketId: string, image: Buffer, source: FaceSource) {
  const t = await ticketFor(ctx, ticketId);
  const now = ctx.now();
  if (t.revokedReason) throw new AppError('ticket_revoked', `ticket is revoked (${t.revokedReason})`, 409);
  if (t.validUntil.getTime() <= now) throw new AppError('ticket_expired', 'ticket has expired: no face is kept for it', 409);
  let analysis;
  try {
    analysis = await pipeline.analyse(image);
  } catch (err) {
    if (err instanceof FaceImageError) throw new AppError(err.code, err.message, err.code === 'unsupported_format' ? 415 : 400);
    throw err;
  }
  if (analysis.kind === 'no_face') throw new AppError('no_face', 'no face found in the photo', 422);
  if (analysis.kind === 'poor_quality') {
    throw new AppError('poor_quality', `the face is not usable (${analysis.issues.join(', ')}): a sharp photo, facing the camera, eyes open, face at least ${MIN_ENROL_WIDTH} px wide`, 422, { issues: analysis.issues });
  }
  if (analysis.kind === 'several_faces') throw new AppError('several_faces', `${analysis.count} faces in the photo: one person per photo`, 422, { count: analysis.count });
  const embedding = encodeEmbedding(analysis.embedding);
  const validUntil = Math.floor(t.validUntil.getTime() / 1000);
  const row = { ticketId, site: t.site, model: analysis.model, embedding, source, validUntil: t.validUntil, enrolledAt: new Date(now) };
  await ctx.db.transaction(async (tx) => {
    await tx.insert(faces).values(row).onConflictDoUpdate({ target: faces.ticketId, set: { model: row.model, embedding, source, validUntil: row.validUntil, enrolledAt: row.enrolledAt } });
    await appendChanges(tx, t.site, [{ kind: 'face', ticketId, model: analysis.model, embedding, validUntil }]);
  });
  ctx.notify(t.site);
  const b = analysis.box;
  return { ticketId, model: analysis.model, source, enrolledAt: now, validUntil, box: { x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height), score: b.score } };
}

export async function getFace(ctx: CloudContext, ticketId: string) {
  await ticketFor(ctx, ticketId);
  const [f] = await ctx.db.select({ model: faces.model, source: faces.source, enrolledAt: faces.enrolledAt, validUntil: faces.validUntil }).from(faces).where(eq(faces.ticketId, ticketId));
  if (!f) throw notFound('face of ticket', ticketId);
  return { ticketId, model: f.model, source: f.source, enrolledAt: f.enrolledAt.getTime(), validUntil: Math.floor(f.validUntil.getTime() / 1000) };
}

/** Unbinds the face; gates drop it from their next pull. */
export async function removeFace(ctx: CloudContext, ticketId: string) {
  const t = await ticketFor(ctx, ticketId);
  const removed = await ctx.db.transaction(async (tx) => {
    const gone = await tx.delete(faces).where(eq(faces.ticketId, ticketId)).returning({ model: faces.model });
    if (gone.length === 0) return false;
    await appendChanges(tx, t.site, [{ kind: 'face', ticketId, model: gone[0]!.model, embedding: null, validUntil: Math.floor(t.validUntil.getTime() / 1000) }]);
    return true;
  });
  if (!removed) throw notFound('face of ticket', ticketId);
  ctx.notify(t.site);
  return { ticketId, removed: true };
}

/**
 * Deletes the faces of tickets that have expired. Gates drop theirs by the same date on their
 * own, so no change is sent. Run at every enrolment and by `purgeExpiredFaces` callers.
 */
export async function purgeExpiredFaces(ctx: CloudContext): Promise<number> {
  const gone = await ctx.db.delete(faces).where(lt(faces.validUntil, new Date(ctx.now()))).returning({ ticketId: faces.ticketId });
  return gone.length;
}
