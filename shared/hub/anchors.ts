import { z } from 'zod';

/**
 * A signed head of HQ's audit chain (cloud/audit/anchor.ts) as it travels to the site hubs
 * (GET /api/v1/sync/hub/anchors) and back from them (GET /api/v1/hub/anchors at a hub, then
 * POST /api/v1/audit/verify at HQ): kept where an editor of HQ's database cannot reach.
 * The signature is checked by HQ's verify; a hub only keeps what it was given.
 */
export const auditAnchor = z.object({
  v: z.literal(1),
  seq: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.number().int().nonnegative(),
  keyId: z.string().regex(/^[0-9a-f]{8}$/),
  sig: z.string().max(200),
});
export type AuditAnchorWire = z.infer<typeof auditAnchor>;
export const anchorList = z.object({ items: z.array(auditAnchor).max(10_000) });
