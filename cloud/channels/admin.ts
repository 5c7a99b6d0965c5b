import { createHash, randomBytes } from 'node:crypto';
import { base32nopad } from '@scure/base';
import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { requireSite } from '../sites/service.ts';
import { channelPrices, channels, ticketTypes } from '../db/schema/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import type { Tx } from '../tickets/issue.ts';

export type Channel = typeof channels.$inferSelect;

const siteId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const newChannel = z.object({
  code: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lower-case letters, digits, - or _, up to 32'),
  name: z.string().trim().min(1).max(64),
  kind: z.enum(['web', 'ota']),
  site: siteId.optional(),
  dailyQuota: z.number().int().min(0).max(1_000_000).nullable().default(null),
  cancelCutoffMinutes: z.number().int().min(-1440).max(43_200).default(0),
  maxDaysAhead: z.number().int().min(0).max(366).default(60),
  holdMinutes: z.number().int().min(1).max(1440).default(30),
  customerId: z.number().int().positive().nullable().default(null),
}).strict();

export const channelPatch = newChannel.omit({ code: true, kind: true, site: true }).partial().extend({ active: z.boolean().optional() }).strict();

export const pricesRequest = z.object({
  prices: z.array(z.object({ type: z.string().min(1).max(32), priceFen: z.number().int().min(0).max(100_000_000) })).min(1).max(200),
}).strict();

/** A channel's API key: shown once, kept only as its SHA-256. */
function makeKey(): string {
  return `ck_${base32nopad.encode(randomBytes(30)).toLowerCase()}`;
}
export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export function channelView(c: Channel) {
  const { keyHash: _hash, ...rest } = c;
  return { ...rest, createdAt: c.createdAt.toISOString() };
}

export async function createChannel(ctx: CloudContext, input: z.infer<typeof newChannel>): Promise<{ channel: ReturnType<typeof channelView>; apiKey: string }> {
  if (input.site) await requireSite(ctx.db, input.site);
  const apiKey = makeKey();
  const [row] = await ctx.db.insert(channels).values({
    ...input, site: input.site ?? ctx.config.site, keyHash: hashKey(apiKey), keyPrefix: apiKey.slice(0, 8),
  }).onConflictDoNothing({ target: channels.code }).returning();
  if (!row) throw new AppError('duplicate', `channel already exists: ${input.code}`, 409, { channel: input.code });
  return { channel: channelView(row), apiKey };
}

export async function channelByCode(ctx: CloudContext, code: string): Promise<Channel> {
  const [row] = await ctx.db.select().from(channels).where(eq(channels.code, code));
  if (!row) throw notFound('channel', code);
  return row;
}

export async function listChannels(ctx: CloudContext) {
  return (await ctx.db.select().from(channels).orderBy(asc(channels.id))).map(channelView);
}

export async function updateChannel(ctx: CloudContext, code: string, patch: z.infer<typeof channelPatch>) {
  const ch = await channelByCode(ctx, code);
  if (Object.keys(patch).length === 0) return channelView(ch);
  const [row] = await ctx.db.update(channels).set(patch).where(eq(channels.id, ch.id)).returning();
  keyCache(ctx).clear();
  return channelView(row!);
}

export async function rotateKey(ctx: CloudContext, code: string) {
  const ch = await channelByCode(ctx, code);
  const apiKey = makeKey();
  await ctx.db.update(channels).set({ keyHash: hashKey(apiKey), keyPrefix: apiKey.slice(0, 8) }).where(eq(channels.id, ch.id));
  keyCache(ctx).clear();
  return { channel: code, apiKey };
}

/** Sets the channel's prices for the given types (others keep theirs), all or nothing. */
export async function setPrices(ctx: CloudContext, code: string, input: z.infer<typeof pricesRequest>) {
  const ch = await channelByCode(ctx, code);
  const codes = [...new Set(input.prices.map((p) => p.type))];
  if (codes.length !== input.prices.length) throw new AppError('duplicate_type', 'each ticket type at most once');
  const types = await ctx.db.select().from(ticketTypes);
  const byCode = new Map(types.map((t) => [t.code, t]));
  const missing = codes.filter((c) => !byCode.has(c));
  if (missing.length) throw new AppError('unknown_type', `unknown ticket type: ${missing.join(', ')}`, 422, { types: missing });
  await ctx.db.transaction(async (tx) => {
    for (const p of input.prices) {
      const typeId = byCode.get(p.type)!.id;
      await tx.insert(channelPrices).values({ channelId: ch.id, typeId, priceFen: p.priceFen, updatedAt: new Date(ctx.now()) })
        .onConflictDoUpdate({ target: [channelPrices.channelId, channelPrices.typeId], set: { priceFen: p.priceFen, updatedAt: new Date(ctx.now()) } });
    }
  });
  return listPrices(ctx.db, ch);
}

export async function listPrices(db: CloudContext['db'] | Tx, ch: Channel) {
  const rows = await db.select({ type: ticketTypes.code, name: ticketTypes.name, priceFen: channelPrices.priceFen, persons: ticketTypes.persons, validityDays: ticketTypes.validityDays, typeId: ticketTypes.id })
    .from(channelPrices).innerJoin(ticketTypes, eq(ticketTypes.id, channelPrices.typeId))
    .where(and(eq(channelPrices.channelId, ch.id))).orderBy(asc(ticketTypes.id));
  return rows;
}

/**
 * Channels by key hash, read at most once a second per key: at a ticket release every
 * request of a channel names the same key, and reading its row each time was a round trip
 * per request (bench:peak). A change made through this node (updateChannel, rotateKey)
 * empties it at once; one made through another HQ node shows here within KEY_TTL_MS.
 * Kept per database handle (gone with it), like the audit chain's batches.
 */
const KEY_TTL_MS = 1000;
const byKey = new WeakMap<object, Map<string, { row: Channel | undefined; until: number }>>();
const keyCache = (ctx: CloudContext) => {
  let m = byKey.get(ctx.db);
  if (!m) byKey.set(ctx.db, (m = new Map()));
  return m;
};

/** The channel a request's key belongs to; an unknown or inactive key is a 401. */
export async function channelByKey(ctx: CloudContext, key: string | undefined): Promise<Channel> {
  if (!key) throw new AppError('unauthenticated', '缺少渠道密钥 / X-Channel-Key header required', 401);
  if (key.length > 200) throw new AppError('invalid_channel_key', '渠道密钥无效 / invalid channel key', 401);
  const hash = hashKey(key);
  const cache = keyCache(ctx);
  const t = performance.now();
  let hit = cache.get(hash);
  if (!hit || hit.until < t) {
    const [row] = await ctx.db.select().from(channels).where(eq(channels.keyHash, hash));
    // Unknown keys are not kept: a stream of made-up keys must not grow the map.
    if (cache.size > 1000) cache.clear();
    hit = { row, until: t + KEY_TTL_MS };
    if (row) cache.set(hash, hit);
  }
  const row = hit.row;
  if (!row) throw new AppError('invalid_channel_key', '渠道密钥无效 / invalid channel key', 401);
  if (!row.active) throw new AppError('channel_inactive', '渠道已停用 / this channel is disabled', 403);
  return row;
}
