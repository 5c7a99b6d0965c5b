import { Hono } from 'hono';
import { z } from 'zod';
import { businessDay } from '../../shared/time/zone.ts';
import type { CloudContext } from '../context.ts';
import { requireSite } from '../sites/service.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { AppError } from '../http/errors.ts';
import { contentDisposition, toCsv, toXlsx, type Lang, type ReportResult } from './format.ts';
import { totals } from './model.ts';
import { reportRange } from './range.ts';
import { REPORTS, reportByName } from './registry.ts';
import { reportListView, reportResultView } from './views.ts';

export const reportQuery = z.object({
  from: z.string().max(20).optional(),
  to: z.string().max(20).optional(),
  site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  at: z.iso.datetime({ offset: true }).optional(),
  lang: z.enum(['zh', 'en']).default('zh'),
  format: z.enum(['json', 'csv', 'xlsx']).optional(),
}).strict();

const TYPES = { csv: 'text/csv; charset=utf-8', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' } as const;

/** Runs one report: JSON figures for the back office. */
export async function runReport(ctx: CloudContext, name: string, q: { from?: string; to?: string; site?: string; at?: string; lang?: Lang }): Promise<ReportResult> {
  if (q.site) await requireSite(ctx.db, q.site);
  const def = reportByName.get(name);
  if (!def) throw new AppError('unknown_report', `no such report: ${name}`, 404, { report: name, reports: REPORTS.map((r) => r.name) });
  const tz = ctx.config.timeZone;
  const now = ctx.now();
  const to = q.to ?? q.from ?? businessDay(now, tz);
  const range = reportRange(q.from ?? to, to, tz);
  const at = q.at ? Date.parse(q.at) : now;
  const lang = q.lang ?? 'zh';
  const rows = await def.run(ctx, { range, site: q.site, at });
  return {
    report: def.name, title: def[lang], source: def.source,
    from: def.ranged ? range.from : null, to: def.ranged ? range.to : null, at: def.ranged ? null : new Date(at).toISOString(),
    timeZone: tz, site: q.site ?? null, generatedAt: new Date(now).toISOString(),
    columns: def.columns.map((c) => ({ key: c.key, label: c[lang], type: c.type })),
    rows, totals: totals(def.columns, rows),
  };
}

/**
 * GET /reports: the reports there are. GET /reports/:name?from=&to=[&site=][&lang=en]
 * [&format=csv|xlsx] (or /reports/:name.csv): one report over whole business days in the
 * site's zone; in-park takes `at` (an ISO instant, default now) instead.
 */
export function reportRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/', endpoint({ summary: '报表 / the reports there are', responses: { 200: reportListView } }), (c) => c.json({
      timeZone: ctx.config.timeZone,
      reports: REPORTS.map((r) => ({ name: r.name, title: r.zh, titleEn: r.en, ranged: r.ranged, source: r.source })),
    }))
    .get('/:name', endpoint({
      summary: '报表 / one report over whole business days (name.csv, name.xlsx or format= for a file)',
      params: z.object({ name: z.string() }), query: reportQuery,
      responses: { 200: { description: 'The report as JSON; text/csv or an XLSX workbook with format=csv|xlsx (or name.csv, name.xlsx)', schema: reportResultView } },
    }), async (c) => {
      const q = c.req.valid('query');
      const m = /^(.+?)(?:\.(json|csv|xlsx))?$/.exec(c.req.valid('param').name)!;
      const name = m[1]!;
      if (m[2] && q.format && m[2] !== q.format) throw new AppError('invalid_format', `the path asks for ${m[2]}, format= for ${q.format}`);
      const format = q.format ?? (m[2] as 'json' | 'csv' | 'xlsx' | undefined) ?? 'json';
      const result = await runReport(ctx, name, q);
      if (format === 'json') return c.json(result);
      const def = reportByName.get(name)!;
      const body = format === 'csv' ? toCsv(def, result, q.lang) : await toXlsx(def, result, q.lang);
      return c.body(new Uint8Array(body), 200, {
        'content-type': TYPES[format],
        'content-disposition': contentDisposition(def, result, format, q.lang),
        'cache-control': 'no-store',
      });
    });
}
