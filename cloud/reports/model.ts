import { sql, type SQL } from 'drizzle-orm';
import type { CloudContext } from '../context.ts';
import type { Db } from '../db/open.ts';
import type { ReportRange } from './range.ts';

/**
 * fen: integer money in fen (exports add a yuan column beside it); day: "YYYY-MM-DD" local;
 * instant: UTC ISO time (exports show it in the site's zone); number: may have decimals.
 */
export type ColumnType = 'text' | 'day' | 'int' | 'number' | 'fen' | 'instant';
export interface Column {
  key: string;
  zh: string;
  en: string;
  type: ColumnType;
  /** false: not summed in the totals line (an hour, an average). */
  total?: false;
}
export type Row = Record<string, string | number | null>;

export interface ReportParams {
  range: ReportRange;
  /** Only this site's records; undefined = every site. */
  site?: string;
  /** The instant a point-in-time report (in-park) is for, UTC ms. */
  at: number;
}

/** What a report reads with (the database; modules whose functions a report reuses take the whole context). */
export type ReportContext = CloudContext;

export interface ReportDef {
  name: string;
  zh: string;
  en: string;
  /** What the figures are drawn from, for the people reading them. */
  source: string;
  columns: Column[];
  /** false: a point-in-time report; from/to are ignored and `at` is used. */
  ranged: boolean;
  run(ctx: ReportContext, p: ReportParams): Promise<Row[]>;
}

export const col = (key: string, type: ColumnType, zh: string, en: string, total?: false): Column => (total === false ? { key, type, zh, en, total } : { key, type, zh, en });

/** Rows of a raw query, the same shape from PGlite and node-postgres. */
export async function query(db: Db, q: SQL): Promise<Record<string, unknown>[]> {
  const r = (await db.execute(q)) as unknown as { rows?: Record<string, unknown>[] } & Record<string, unknown>[];
  return r.rows ?? r;
}

/** int8 and numeric arrive as strings from node-postgres; fen sums stay far below 2^53. */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** `and <column> = site` when the report is for one site. */
export const siteIs = (column: SQL, site: string | undefined): SQL => (site === undefined ? sql`` : sql` and ${column} = ${site}`);

/** Sum of each int/number/fen column over the rows. */
export function totals(columns: Column[], rows: Row[]): Row {
  const t: Row = {};
  for (const c of columns) {
    if ((c.type === 'int' || c.type === 'fen') && c.total !== false) t[c.key] = rows.reduce((s, r) => s + num(r[c.key]), 0);
  }
  return t;
}
