import { z } from 'zod';

/** The answers of /reports, as the back office reads them. */
const day = z.string().describe('YYYY-MM-DD, business day in the site\'s zone');
const instant = z.string().describe('ISO instant');

export const reportListView = z.object({
  timeZone: z.string(),
  reports: z.array(z.object({ name: z.string(), title: z.string(), titleEn: z.string(), ranged: z.boolean(), source: z.string() })),
}).meta({ id: 'ReportList' });

const cell = z.union([z.string(), z.number(), z.null()]);
export const reportResultView = z.object({
  report: z.string(), title: z.string(), source: z.string(), from: day.nullable(), to: day.nullable(), at: instant.nullable(),
  timeZone: z.string(), site: z.string().nullable(), generatedAt: instant,
  columns: z.array(z.object({ key: z.string(), label: z.string(), type: z.enum(['text', 'day', 'int', 'number', 'fen', 'instant']) })),
  rows: z.array(z.record(z.string(), cell)),
  totals: z.record(z.string(), cell),
}).meta({ id: 'Report' });
