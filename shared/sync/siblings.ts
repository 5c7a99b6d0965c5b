import { z } from 'zod';

/**
 * GET /sync/entries, at HQ (cloud/sync/routes.ts) and at a site hub (edge/hub/handheld.ts):
 * siblings' entries since a time, paged by (received, nonce): `since` starts a poll, `after`
 * (the `next` of the page before) goes on within it. Ingest commits are not in received
 * order, so a poller starts each poll a little before the last entry it heard and keeps
 * entries by nonce (web/src/handheld/validator.ts).
 */
export const siblingQuery = z.object({
  site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  since: z.coerce.number().int().min(0).default(0),
  after: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(2000).default(500),
});
