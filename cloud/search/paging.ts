import { and, asc, desc, eq, gt, gte, lt, or, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { addDays, startOfBusinessDay } from '../../shared/time/zone.ts';
import { AppError } from '../http/errors.ts';

/**
 * Keyset paging for the lists: rows in the order of one sort key with the row's unique id as
 * the tie-breaker, and a cursor that names the sort and the last row's (key, id). A page
 * costs one indexed range read however deep it is, and rows written meanwhile never make a
 * page repeat or skip a row.
 */
export const limitParam = z.coerce.number().int().min(1).max(200).default(50).describe('Rows per page (1-200)');
export const cursorParam = z.string().max(400).optional().describe('`next` of the previous page');
export const dayParam = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a day YYYY-MM-DD');
export const uuidParam = z.string().uuid();
/** `a,b,c` in a query string: a filter on any of several values. */
export const anyOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.string().max(400).transform((s, ctx) => {
    const parts = s.split(',').map((p) => p.trim()).filter(Boolean);
    const bad = parts.filter((p) => !values.includes(p));
    if (bad.length || parts.length === 0) {
      ctx.addIssue({ code: 'invalid_value', values: [...values], input: s, message: `one or more of ${values.join(', ')}` });
      return z.NEVER;
    }
    return parts as T[number][];
  }).describe(`One or more of ${values.join(', ')}, separated by commas`);

/** `sort=createdAt` (ascending) or `sort=-createdAt` (descending), among the list's keys. */
export function sortParam<const K extends string>(keys: readonly K[], fallback: K | `-${K}`) {
  const all = keys.flatMap((k) => [k, `-${k}`]) as (K | `-${K}`)[];
  return z.enum(all as [K | `-${K}`, ...(K | `-${K}`)[]]).default(fallback as never).describe('Sort key; a leading - for descending');
}

export function pageView<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next: z.string().nullable().describe('Cursor of the next page; null on the last') });
}

export interface SortKey<Row> {
  column: PgColumn;
  value: (row: Row) => Date | number | string;
}

type Key = Date | number | string;

function encodeCursor(sort: string, v: Key, id: string | number): string {
  const value = v instanceof Date ? { d: v.getTime() } : v;
  return Buffer.from(JSON.stringify([sort, value, id])).toString('base64url');
}

function decodeCursor(cursor: string, sort: string): { v: Key; id: string | number } {
  try {
    const [s, value, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [unknown, unknown, unknown];
    const v = value && typeof value === 'object' && typeof (value as { d?: unknown }).d === 'number' ? new Date((value as { d: number }).d) : value;
    const ok = s === sort && (typeof id === 'string' || typeof id === 'number')
      && (v instanceof Date ? !Number.isNaN(v.getTime()) : typeof v === 'string' || typeof v === 'number');
    if (ok) return { v: v as Key, id: id as string | number };
  } catch { /* falls through */ }
  throw new AppError('invalid_cursor', 'cursor is not one this list gave out for this sort');
}

/**
 * One page: `run(where, orderBy, n)` reads at most n rows after the cursor in the sort's
 * order (the caller adds its filters to `where`).
 */
export async function page<Row>(o: {
  sorts: Record<string, SortKey<Row>>;
  sort: string;
  id: PgColumn;
  idOf: (row: Row) => string | number;
  cursor: string | undefined;
  limit: number;
  run: (after: SQL | undefined, orderBy: SQL[], n: number) => Promise<Row[]>;
}): Promise<{ items: Row[]; next: string | null }> {
  const descending = o.sort.startsWith('-');
  const name = descending ? o.sort.slice(1) : o.sort;
  const key = o.sorts[name];
  if (!key) throw new AppError('invalid_request', `unknown sort ${o.sort}`);
  const dir = descending ? desc : asc;
  const beyond = descending ? lt : gt;
  let after: SQL | undefined;
  if (o.cursor) {
    const c = decodeCursor(o.cursor, o.sort);
    after = or(beyond(key.column, c.v), and(eq(key.column, c.v), beyond(o.id, c.id)));
  }
  const rows = await o.run(after, [dir(key.column), dir(o.id)], o.limit + 1);
  const items = rows.slice(0, o.limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > o.limit && last ? encodeCursor(o.sort, key.value(last), o.idOf(last)) : null };
}

/** Rows whose instant falls on the business days from..to (inclusive) of the site's zone. */
export function onDays(column: PgColumn, from: string | undefined, to: string | undefined, timeZone: string): SQL[] {
  const out: SQL[] = [];
  if (from) out.push(gte(column, new Date(startOfBusinessDay(from, timeZone))));
  if (to) out.push(lt(column, new Date(startOfBusinessDay(addDays(to, 1), timeZone))));
  return out;
}

/** Someone on a list: who sold, paid out, counted. */
export const personView = z.object({ id: z.string(), username: z.string(), displayName: z.string() }).meta({ id: 'Person' });

/** Whose rows a user sees on the money lists: a seller without an office role only their own. */
export function ownRowsOnly(user: { id: string; roles: readonly string[] }): string | undefined {
  return user.roles.some((r) => r === 'administrator' || r === 'finance' || r === 'supervisor') ? undefined : user.id;
}

export const siteParam = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
export const searchText = z.string().trim().min(1).max(64);
