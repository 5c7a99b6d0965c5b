import ExcelJS from 'exceljs';
import { formatLocal } from '../../shared/time/zone.ts';
import type { Column, ReportDef, Row } from './model.ts';

export type Lang = 'zh' | 'en';

/** The figures of one report run, as the JSON answer carries them. */
export interface ReportResult {
  report: string;
  title: string;
  source: string;
  from: string | null;
  to: string | null;
  at: string | null;
  timeZone: string;
  site: string | null;
  generatedAt: string;
  columns: { key: string; label: string; type: Column['type'] }[];
  rows: Row[];
  totals: Row;
}

/** One export column: a fen column becomes two, the fen figure and the same in yuan. */
interface Cell { label: string; type: 'text' | 'int' | 'number' | 'yuan'; value(r: Row): string | number | null }

const YUAN = { zh: '(元)', en: ' (yuan)' };
const FEN = { zh: '(分)', en: ' (fen)' };

function exportCells(def: ReportDef, lang: Lang, timeZone: string): Cell[] {
  const out: Cell[] = [];
  for (const c of def.columns) {
    const label = c[lang];
    if (c.type === 'fen') {
      out.push({ label: label + FEN[lang], type: 'int', value: (r) => r[c.key] as number });
      out.push({ label: label + YUAN[lang], type: 'yuan', value: (r) => r[c.key] as number });
    } else if (c.type === 'instant') {
      out.push({ label, type: 'text', value: (r) => (r[c.key] ? formatLocal(Date.parse(String(r[c.key])), timeZone) : '') });
    } else {
      out.push({ label, type: c.type === 'int' ? 'int' : c.type === 'number' ? 'number' : 'text', value: (r) => r[c.key] ?? null });
    }
  }
  return out;
}

/** Exact yuan text of a fen amount: no floating point on money. */
export function yuanText(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

function csvField(v: string | number | null, type: Cell['type']): string {
  if (v === null || v === undefined) return '';
  if (type === 'yuan') return yuanText(Number(v));
  let s = String(v);
  // A text cell starting with = + - @ would run as a formula in a spreadsheet.
  if (type === 'text' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const TOTAL = { zh: '合计', en: 'Total' };

/** UTF-8 with a BOM, so Excel opens Chinese text as such; CRLF line ends (RFC 4180). */
export function toCsv(def: ReportDef, result: ReportResult, lang: Lang): Buffer {
  const cells = exportCells(def, lang, result.timeZone);
  const lines = [cells.map((c) => csvField(c.label, 'text')).join(',')];
  for (const r of result.rows) lines.push(cells.map((c) => csvField(c.value(r), c.type)).join(','));
  if (result.rows.length && Object.keys(result.totals).length) lines.push(totalsLine(cells, result, lang).map((v, i) => csvField(v, cells[i]!.type)).join(','));
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8')]);
}

/** The totals row: summed columns only (an average or an hour is left empty), "合计" first. */
function totalsLine(cells: Cell[], result: ReportResult, lang: Lang): (string | number | null)[] {
  const line = cells.map((c) => {
    const v = c.value(result.totals);
    return v === undefined || v === null || (c.type !== 'int' && c.type !== 'yuan') ? null : v;
  });
  line[0] = TOTAL[lang];
  return line;
}

export async function toXlsx(def: ReportDef, result: ReportResult, lang: Lang): Promise<Buffer> {
  const cells = exportCells(def, lang, result.timeZone);
  const wb = new ExcelJS.Workbook();
  wb.created = new Date(result.generatedAt);
  const ws = wb.addWorksheet(def[lang].slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = cells.map((c) => ({
    header: c.label,
    width: Math.max(10, [...c.label].length * 2 + 2),
    style: { numFmt: c.type === 'yuan' ? '#,##0.00' : c.type === 'int' ? '0' : c.type === 'number' ? '0.0' : '@' },
  }));
  ws.getRow(1).font = { bold: true };
  const value = (c: Cell, v: string | number | null) => (v === null || v === undefined ? null : c.type === 'yuan' ? Number(v) / 100 : c.type === 'text' ? String(v) : Number(v));
  for (const r of result.rows) ws.addRow(cells.map((c) => value(c, c.value(r))));
  if (result.rows.length && Object.keys(result.totals).length) {
    const row = ws.addRow(totalsLine(cells, result, lang).map((v, i) => (i === 0 ? v : value(cells[i]!, v))));
    row.font = { bold: true };
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** attachment; an ASCII name for every client and the Chinese title for those that read filename*. */
export function contentDisposition(def: ReportDef, result: ReportResult, ext: string, lang: Lang): string {
  const period = result.from ? `${result.from}_${result.to}` : (result.at ?? '').slice(0, 16).replace(/[:T]/g, '-');
  const ascii = `${def.name}_${period}.${ext}`;
  const local = `${def[lang]}_${period}.${ext}`;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(local)}`;
}
