import { wrapLine } from '../text/fit.ts';
import { gbkPrintable, RASTER_MAX_DOTS } from '../print/escpos.ts';
import { barcodeSize, FONT_H, FONT_W, imageToRaster, itemHeight, PAPER_DOTS, qrDots, textDots, type Page, type PageItem } from '../print/page.ts';
import { fen, formatYuan } from '../money/money.ts';
import { businessDay, formatLocal } from '../time/zone.ts';
import { templateLayout, TemplateError, type TemplateElement, type TemplateField, type TemplateLayoutInput, type TicketPrintData } from './model.ts';

export interface LayoutOptions {
  /** Site time zone for dates. */
  timeZone: string;
}

/**
 * What one ticket may cost to lay out and draw. Drawing time follows the page's length and the
 * glyphs on it: 60 texts of 200 Chinese characters at 4 x 4 made a page 24 m long that took
 * over 38 s to preview (and as long again to save, which previews the sample ticket); at these
 * limits a page takes under a second (measured: 4,000 glyph cells on 3,400 dots, 0.8 s).
 *   pageDots   length of paper, in dots (4,000 = 500 mm)
 *   textCells  characters printed, each counted width x height times (wide ones count once)
 */
/** White modules kept above and below a QR symbol (the standard's quiet zone). */
export const QR_QUIET_MODULES = 4;

export const LAYOUT_LIMITS = { pageDots: 4000, textCells: 4000 } as const;

/**
 * Lays a template out for one ticket: the page both the ESC/POS encoder (escpos.ts) and the PNG
 * preview (sharp, via renderPng) are made from, so the preview shows what the printer prints.
 * Throws a TemplateError when an element cannot be printed (a barcode wider than the paper,
 * an image that does not decode, a field the ticket has no value for).
 */
export async function layoutTicket(input: TemplateLayoutInput, data: TicketPrintData, opts: LayoutOptions): Promise<Page> {
  const t = templateLayout.parse(input);
  const width = PAPER_DOTS[t.paper];
  const items: PageItem[] = [];
  let cursor = 0;
  let cells = 0;
  const room = (bottom: number) => {
    if (bottom > LAYOUT_LIMITS.pageDots) {
      throw new TemplateError('too_long', `票面太长：超过 ${LAYOUT_LIMITS.pageDots} 点 (${LAYOUT_LIMITS.pageDots / 8} 毫米) / the ticket would be longer than ${LAYOUT_LIMITS.pageDots} dots (${LAYOUT_LIMITS.pageDots / 8} mm)`, { limit: LAYOUT_LIMITS.pageDots, at: bottom });
    }
  };
  // Stable order by y; elements without y keep their place after the one before.
  let lastY = 0;
  const ordered = t.elements.map((el, i) => ({ el, i, y: (lastY = el.y ?? lastY) })).sort((a, b) => a.y - b.y || a.i - b.i);
  for (const { el } of ordered) {
    let y = Math.max(el.y ?? cursor, cursor);
    const placeX = (w: number) => {
      if (el.x !== undefined) return Math.min(el.x, Math.max(0, width - w));
      return el.align === 'center' ? Math.floor((width - w) / 2) : el.align === 'right' ? width - w : 0;
    };
    const fits = (w: number, what: string) => {
      if (w > width - (el.x ?? 0)) throw new TemplateError('too_wide', `${what} is ${w} dots wide, the paper ${width - (el.x ?? 0)}`, { element: el.kind, width: w });
    };
    switch (el.kind) {
      case 'text':
      case 'field': {
        // Control characters would be printer commands; data from elsewhere may hold some.
        const raw = el.kind === 'text' ? el.text : el.label + fieldValue(el.field, data, t.locale, opts.timeZone);
        const text = gbkPrintable(raw.replace(/[\p{Cc}\p{Cs}]/gu, ' '));
        const columns = Math.floor((width - (el.x ?? 0)) / (FONT_W * el.width));
        cells += [...text].length * el.width * el.height;
        if (cells > LAYOUT_LIMITS.textCells) {
          throw new TemplateError('too_much_text', `文字太多：字数乘以放大倍数超过 ${LAYOUT_LIMITS.textCells} / more than ${LAYOUT_LIMITS.textCells} characters, each counted width x height times`, { limit: LAYOUT_LIMITS.textCells });
        }
        for (const line of wrapLine(text, Math.max(2, columns))) {
          room(y + FONT_H * el.height);
          if (line !== '') items.push({ kind: 'text', x: placeX(textDots(line, el.width)), y, text: line, scaleW: el.width, scaleH: el.height, bold: el.bold });
          y += FONT_H * el.height;
        }
        cursor = y;
        continue;
      }
      case 'qr': {
        if (!/^[\x20-\x7e]{1,2000}$/.test(data.code)) throw new TemplateError('bad_code', 'the ticket code is not printable ASCII', {});
        const size = qrDots(data.code, el.moduleSize, el.ecc);
        fits(size, 'QR code');
        // A QR symbol needs a quiet zone of 4 white modules (ISO/IEC 18004); the printer adds
        // none, and text set right against it keeps readers such as the handheld's ZXing from
        // finding it (1 printed ticket in 13 was unreadable). Across, it stands alone on its row.
        const quiet = QR_QUIET_MODULES * el.moduleSize;
        if (items.length) y = Math.max(y, cursor + quiet);
        items.push({ kind: 'qr', x: placeX(size), y, data: data.code, moduleSize: el.moduleSize, ecc: el.ecc });
        cursor = y + size + quiet;
        room(cursor);
        continue;
      }
      case 'barcode': {
        const value = barcodeValue(el.source, data);
        const size = barcodeSize(value, el.moduleWidth, el.height, el.hri);
        fits(size.width, 'barcode');
        items.push({ kind: 'barcode', x: placeX(size.width), y, symbology: 'CODE128', data: value, moduleWidth: el.moduleWidth, height: el.height, hri: el.hri });
        break;
      }
      case 'image': {
        let raster: Awaited<ReturnType<typeof imageToRaster>>;
        try {
          raster = await imageToRaster(Buffer.from(el.data, 'base64'), Math.min(el.width, width - (el.x ?? 0)), el.threshold, RASTER_MAX_DOTS);
        } catch (err) {
          throw new TemplateError('bad_image', `the image does not decode: ${(err as Error).message}`, {});
        }
        // A raster is sent in whole bytes: its width is a multiple of 8 dots.
        const w = Math.ceil(raster.width / 8) * 8;
        items.push({ kind: 'raster', x: placeX(w), y, width: w, height: raster.height, bits: raster.bits });
        break;
      }
    }
    cursor = y + itemHeight(items.at(-1)!);
    room(cursor);
  }
  room(cursor + t.bottomFeed);
  return { width, height: cursor + t.bottomFeed, items };
}

function barcodeValue(source: 'ticketId' | 'orderNo' | 'barcode', d: TicketPrintData): string {
  const value = source === 'ticketId' ? d.ticketId.replace(/-/g, '') : source === 'orderNo' ? d.orderNo.replace(/-/g, '') : d.barcode;
  if (!value) throw new TemplateError('no_value', `the ticket has no ${source} for the barcode`, { source });
  if (!/^[\x20-\x7e]{1,80}$/.test(value)) throw new TemplateError('no_value', `${source} cannot be a CODE128 barcode`, { source });
  return value;
}

const LABELS = {
  'zh-CN': { persons: (n: number) => `${n}人`, entries: (n: number) => (n === 0 ? '不限次' : `${n}次`), to: ' 至 ' },
  en: { persons: (n: number) => `${n} ${n === 1 ? 'person' : 'persons'}`, entries: (n: number) => (n === 0 ? 'unlimited' : `${n}`), to: ' to ' },
} as const;

/** A field as printed: dates as the site's business days, money in yuan. */
export function fieldValue(field: TemplateField, d: TicketPrintData, locale: 'zh-CN' | 'en', tz: string): string {
  const l = LABELS[locale];
  // validUntil is the start of the day after the last valid one.
  const first = businessDay(d.validFrom, tz);
  const last = businessDay(Math.max(d.validFrom, d.validUntil - 1), tz);
  switch (field) {
    case 'typeName': return d.typeName;
    case 'price': return `¥${formatYuan(fen(d.priceFen))}`;
    case 'validFrom': return first;
    case 'validUntil': return last;
    case 'validDates': return first === last ? first : `${first}${l.to}${last}`;
    case 'persons': return l.persons(d.persons);
    case 'entries': return l.entries(d.entries);
    case 'ticketId': return d.ticketId;
    case 'orderNo': return d.orderNo;
    case 'siteName': return d.siteName;
    case 'issuedAt': return formatLocal(d.issuedAt, tz);
  }
}

/** A ticket to preview a template with before any is sold. */
export const SAMPLE_TICKET: TicketPrintData = {
  ticketId: '01936f3e-7a2b-7c4d-8e5f-a1b2c3d4e5f6',
  code: 'SAMPLE0TICKET0CODE0NOT0VALID0AT0ANY0GATE',
  typeName: '成人票',
  priceFen: 12_000,
  validFrom: Date.UTC(2026, 0, 1, -8),
  validUntil: Date.UTC(2026, 0, 2, -8),
  persons: 1,
  entries: 1,
  orderNo: '01936f3e-7a2b-7c4d-8e5f-000000000001',
  siteName: '示例景区',
  issuedAt: Date.UTC(2026, 0, 1, 1, 30),
  barcode: 'TK0000000001',
};
