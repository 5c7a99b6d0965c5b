import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { shopItems, shops } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';

export const shopCode = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);
export const shopPut = z.strictObject({
  name: z.string().min(1).max(40),
  site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  tenant: z.boolean().default(false),
  /** Commission on a tenant's net sales, in basis points (1000 = 10%). */
  commissionBp: z.number().int().min(0).max(10_000).default(0),
  active: z.boolean().default(true),
});
export const itemPut = z.strictObject({ name: z.string().min(1).max(40), priceFen: z.number().int().min(1).max(1_000_000), active: z.boolean().default(true) });

export const shopView = z.object({
  code: z.string(), site: z.string(), name: z.string(), tenant: z.boolean(), commissionBp: z.number().int(), active: z.boolean(),
  items: z.array(z.object({ code: z.string(), name: z.string(), priceFen: z.number().int(), active: z.boolean() })),
}).meta({ id: 'Shop' });

export async function putShop(ctx: CloudContext, code: string, input: z.input<typeof shopPut>) {
  shopCode.parse(code);
  const req = shopPut.parse(input);
  const set = { site: req.site ?? ctx.config.site, name: req.name, tenant: req.tenant, commissionBp: req.commissionBp, active: req.active };
  await ctx.db.insert(shops).values({ code, ...set }).onConflictDoUpdate({ target: shops.code, set });
  ctx.notify(set.site);
  return getShop(ctx, code);
}

export async function putItem(ctx: CloudContext, shop: string, code: string, input: z.input<typeof itemPut>) {
  shopCode.parse(code);
  const req = itemPut.parse(input);
  const s = await getShop(ctx, shop);
  await ctx.db.insert(shopItems).values({ shop, code, ...req }).onConflictDoUpdate({ target: [shopItems.shop, shopItems.code], set: req });
  ctx.notify(s.site);
  return getShop(ctx, shop);
}

export async function getShop(ctx: CloudContext, code: string): Promise<z.infer<typeof shopView>> {
  const [s] = shopCode.safeParse(code).success ? await ctx.db.select().from(shops).where(eq(shops.code, code)) : [];
  if (!s) throw new AppError('unknown_shop', `消费点不存在 / no such shop: ${code}`, 404, { what: 'shop', id: code });
  const items = await ctx.db.select().from(shopItems).where(eq(shopItems.shop, code)).orderBy(asc(shopItems.code));
  return { ...s, items: items.map((i) => ({ code: i.code, name: i.name, priceFen: i.priceFen, active: i.active })) };
}

export async function listShops(ctx: CloudContext, site?: string) {
  const rows = await ctx.db.select().from(shops).where(site ? eq(shops.site, site) : undefined).orderBy(asc(shops.code));
  return Promise.all(rows.map((s) => getShop(ctx, s.code)));
}

/** What a POS of a site sells: its shop's active items (the shop must be the site's). */
export async function posCatalog(ctx: CloudContext, site: string, code: string) {
  const s = await getShop(ctx, code);
  if (s.site !== site) throw new AppError('unknown_shop', `消费点不属于本景区 / shop ${code} is not at site ${site}`, 404, { what: 'shop', id: code });
  return { shop: { code: s.code, name: s.name, active: s.active }, items: s.items.filter((i) => i.active).map(({ code: c, name, priceFen }) => ({ code: c, name, priceFen })) };
}

export async function shopExists(ctx: CloudContext, site: string, code: string): Promise<boolean> {
  const [s] = await ctx.db.select({ code: shops.code }).from(shops).where(and(eq(shops.code, code), eq(shops.site, site)));
  return !!s;
}
