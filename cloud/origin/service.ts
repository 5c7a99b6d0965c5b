import { and, eq, gte, inArray, isNotNull, lt, lte } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { normaliseLookup } from '../../shared/booking/lookup.ts';
import { isValidIdNumber } from '../../shared/rules/credential.ts';
import { addDays, startOfBusinessDay } from '../../shared/time/zone.ts';
import { calendarDay } from '../../shared/time/day.ts';
import type { CloudContext } from '../context.ts';
import { bookings, visitorOrigins } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { Regions, type Region } from './regions.ts';
import type { Tx } from '../audit/chain.ts';

const day = calendarDay;
const site = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const originEntry = z.object({
  site: site.optional(),
  persons: z.number().int().min(1).max(10_000),
  /** The ID number of one of the party: its first six digits name the region. */
  idNumber: z.string().min(15).max(20).optional(),
  /** Or what the visitor said, by name or GB/T 2260 code. */
  province: z.string().min(1).max(32).optional(),
  city: z.string().min(1).max(32).optional(),
  /** What it is for (order id, ticket id): recorded once per ref. */
  ref: z.string().min(1).max(64).optional(),
}).strict().refine((e) => (e.idNumber ? 1 : 0) + (e.province ? 1 : 0) === 1, { message: 'give idNumber or province' })
  .refine((e) => !e.city || e.province, { message: 'city needs province', path: ['city'] });

export const statsQuery = z.object({ from: day, to: day, site: site.optional() }).strict()
  .refine((q) => q.to >= q.from, { message: 'to before from', path: ['to'] });

/** Records where a party came from, from its ID number or what the seller entered. */
export async function recordOrigin(ctx: CloudContext, regions: Regions, e: z.infer<typeof originEntry>) {
  let region: Region | undefined;
  let source: 'id' | 'seller';
  if (e.idNumber) {
    const id = normaliseLookup('id', e.idNumber);
    if (!isValidIdNumber(id)) throw new AppError('invalid_id_number', '身份证号无效 / not a valid ID card number', 422);
    region = regions.byCode(id.slice(0, 6));
    source = 'id';
    if (!region) throw new AppError('unknown_region', `未知行政区划代码 / unknown region code ${id.slice(0, 6)}`, 422);
  } else {
    region = regions.byName(e.province!, e.city);
    source = 'seller';
    if (!region) throw new AppError('unknown_region', `未知省市 / unknown province or city: ${e.province}${e.city ? ` ${e.city}` : ''}`, 422);
  }
  const s = e.site ?? ctx.config.site;
  if (e.ref) {
    const [prior] = await ctx.db.select().from(visitorOrigins).where(and(eq(visitorOrigins.ref, e.ref), eq(visitorOrigins.source, source), eq(visitorOrigins.site, s)));
    if (prior) return view(prior);
  }
  const [row] = await ctx.db.insert(visitorOrigins).values({
    id: uuidv7(), site: s, at: new Date(ctx.now()), persons: e.persons, source, ref: e.ref ?? null,
    provinceCode: region.provinceCode, province: region.province, cityCode: region.cityCode, city: region.city,
  }).returning();
  return view(row!);
}

// The division tables are read-only: loaded once, on the first ID-card sale.
let shared: Regions | undefined;

/**
 * Window sales with ID cards bound count by themselves: each ticket's holder from the first
 * six digits of the number, read before the number is stored hashed (shared/rules/credential.ts),
 * in the sale's transaction. A number whose region is unknown still counts, as unknown.
 */
export async function recordIdOrigins(tx: Tx, site: string, at: number, holders: { ref: string; idNumber: string; persons: number }[]) {
  if (!holders.length) return;
  const regions = (shared ??= Regions.load());
  await tx.insert(visitorOrigins).values(holders.map((h) => {
    const region = regions.byCode(normaliseLookup('id', h.idNumber).slice(0, 6));
    return {
      id: uuidv7(), site, at: new Date(at), persons: h.persons, source: 'id_sale', ref: h.ref,
      provinceCode: region?.provinceCode ?? null, province: region?.province ?? null, cityCode: region?.cityCode ?? null, city: region?.city ?? null,
    };
  }));
}

const view = (r: typeof visitorOrigins.$inferSelect) => ({ ...r, at: r.at.toISOString(), createdAt: r.createdAt.toISOString() });

interface Bucket { code: string | null; name: string; persons: number }

/**
 * Visitors by province and city over business days `from`..`to` (site zone): parties the
 * windows recorded, and bookings (by visit day, paid, not cancelled) with an ID number.
 */
export async function originStats(ctx: CloudContext, regions: Regions, q: z.infer<typeof statsQuery>) {
  const tz = ctx.config.timeZone;
  const from = new Date(startOfBusinessDay(q.from, tz));
  const to = new Date(startOfBusinessDay(addDays(q.to, 1), tz));
  const recorded = await ctx.db.select().from(visitorOrigins)
    .where(and(gte(visitorOrigins.at, from), lt(visitorOrigins.at, to), q.site ? eq(visitorOrigins.site, q.site) : undefined));
  const booked = await ctx.db.select({ region: bookings.idRegion, quantity: bookings.quantity }).from(bookings)
    .where(and(gte(bookings.visitDay, q.from), lte(bookings.visitDay, q.to), isNotNull(bookings.idRegion), inArray(bookings.state, ['issued', 'picked_up']), q.site ? eq(bookings.site, q.site) : undefined));
  const parties: { region: Region | undefined; persons: number; source: string }[] = [
    ...recorded.map((r) => ({ region: r.provinceCode ? { provinceCode: r.provinceCode, province: r.province!, cityCode: r.cityCode, city: r.city } : undefined, persons: r.persons, source: r.source })),
    ...booked.map((b) => ({ region: regions.byCode(b.region!), persons: b.quantity, source: 'booking' })),
  ];
  const provinces = new Map<string, Bucket & { cities: Map<string, Bucket> }>();
  let unknown = 0;
  const bySource: Record<string, number> = {};
  for (const p of parties) {
    bySource[p.source] = (bySource[p.source] ?? 0) + p.persons;
    if (!p.region) { unknown += p.persons; continue; }
    let prov = provinces.get(p.region.provinceCode);
    if (!prov) provinces.set(p.region.provinceCode, prov = { code: p.region.provinceCode, name: p.region.province, persons: 0, cities: new Map() });
    prov.persons += p.persons;
    const key = p.region.cityCode ?? '';
    const city = prov.cities.get(key) ?? { code: p.region.cityCode, name: p.region.city ?? '未知城市', persons: 0 };
    city.persons += p.persons;
    prov.cities.set(key, city);
  }
  const byCount = (a: Bucket, b: Bucket) => b.persons - a.persons || String(a.code).localeCompare(String(b.code));
  return {
    from: q.from, to: q.to, site: q.site ?? null, timeZone: tz,
    total: parties.reduce((n, p) => n + p.persons, 0), unknown, bySource,
    provinces: [...provinces.values()].sort(byCount).map((p) => ({ code: p.code, name: p.name, persons: p.persons, cities: [...p.cities.values()].sort(byCount) })),
  };
}
