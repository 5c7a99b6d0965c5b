import { sharpLib } from '../image/sharp.ts';
import { bwipLib, qrcodeLib } from './code-libs.ts';
import { textWidth } from '../text/fit.ts';

/**
 * A printed receipt page in printer dots, and its rendering to PNG. The printer simulator
 * builds a page by interpreting ESC/POS; the ticket template preview builds one from the same
 * layout it encodes to ESC/POS. Metrics are those of a common 203 dpi thermal receipt printer
 * (Epson TM-T20 class): Font A is 12 x 24 dots, a GB18030 character 24 x 24.
 */
export const FONT_W = 12;
export const FONT_H = 24;
/** Paper widths in dots: 80 mm paper prints 72 mm (576 dots), 58 mm prints 48 mm (384 dots). */
export const PAPER_DOTS = { 58: 384, 80: 576 } as const;
export type PaperWidth = keyof typeof PAPER_DOTS;
/** Gap between a barcode and its human-readable text. */
export const HRI_GAP = 4;

export type QrEcc = 'L' | 'M' | 'Q' | 'H';
export type HriPosition = 'none' | 'above' | 'below' | 'both';

export type PageItem =
  | { kind: 'text'; x: number; y: number; text: string; scaleW: number; scaleH: number; bold: boolean }
  | { kind: 'qr'; x: number; y: number; data: string; moduleSize: number; ecc: QrEcc }
  | { kind: 'barcode'; x: number; y: number; symbology: 'CODE128'; data: string; moduleWidth: number; height: number; hri: HriPosition }
  /** 1 bit per dot, rows of ceil(width / 8) bytes, most significant bit leftmost, 1 = black. */
  | { kind: 'raster'; x: number; y: number; width: number; height: number; bits: Uint8Array };

export interface Page {
  width: number;
  height: number;
  items: PageItem[];
}

/** Dots a text run takes across: GB18030 characters are two cells wide. */
export const textDots = (text: string, scaleW = 1) => textWidth(text) * FONT_W * scaleW;

/** The QR symbol as the printer builds it from stored data (model 2). Throws if the data does not fit. */
export function qrMatrix(data: string, ecc: QrEcc): { size: number; dark(row: number, col: number): boolean } {
  const { modules } = qrcodeLib().create(data, { errorCorrectionLevel: ecc });
  return { size: modules.size, dark: (r, c) => Boolean(modules.get(r, c)) };
}

export const qrDots = (data: string, moduleSize: number, ecc: QrEcc) => qrMatrix(data, ecc).size * moduleSize;

/** CODE128 bar and space widths in modules, bar first, start and stop codes included. */
export function code128Modules(data: string): number[] {
  const [symbol] = bwipLib().raw('code128', data, {}) as unknown as { sbs: number[] }[];
  return symbol!.sbs;
}

export function barcodeSize(data: string, moduleWidth: number, height: number, hri: HriPosition): { width: number; height: number } {
  const modules = code128Modules(data).reduce((a, b) => a + b, 0);
  const text = hri === 'none' ? 0 : hri === 'both' ? 2 * (FONT_H + HRI_GAP) : FONT_H + HRI_GAP;
  return { width: modules * moduleWidth, height: height + text };
}

/** Height in dots of what an item prints. */
export function itemHeight(item: PageItem): number {
  switch (item.kind) {
    case 'text': return FONT_H * item.scaleH;
    case 'qr': return qrDots(item.data, item.moduleSize, item.ecc);
    case 'barcode': return barcodeSize(item.data, item.moduleWidth, item.height, item.hri).height;
    case 'raster': return item.height;
  }
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const FONT_FAMILY = "'Noto Sans Mono','Droid Sans Fallback','Noto Sans CJK SC','WenQuanYi Zen Hei',monospace";

/**
 * Renders a page: codes and images dot for dot into a grey-scale canvas (so a decoder reads the
 * very modules the printer would burn), text as SVG drawn by sharp over it. `margin` adds white
 * paper around the printable area.
 */
export async function renderPng(page: Page, opts: { margin?: number } = {}): Promise<Buffer> {
  const margin = opts.margin ?? 16;
  const width = page.width + 2 * margin;
  const height = Math.max(1, page.height) + 2 * margin;
  const canvas = new Uint8Array(width * height).fill(255);
  const fill = (x: number, y: number, w: number, h: number) => {
    const x0 = Math.max(0, x + margin), y0 = Math.max(0, y + margin);
    const x1 = Math.min(width, x + margin + w), y1 = Math.min(height, y + margin + h);
    for (let yy = y0; yy < y1; yy++) canvas.fill(0, yy * width + x0, yy * width + x1);
  };
  const texts: string[] = [];
  const text = (x: number, y: number, s: string, scaleW: number, scaleH: number, bold: boolean) => {
    // Each character sits in its own cell, as a printer's font puts it, whatever the SVG font's advance.
    // The font size makes the height (scaleH); the horizontal stretch is only what width adds
    // beyond it (scaleW / scaleH), so double height alone stays one cell wide.
    const stretch = scaleW / scaleH;
    const size = FONT_H * scaleH;
    let cx = x;
    for (const ch of s) {
      const cw = textDots(ch, scaleW);
      if (ch !== ' ' && cw > 0) {
        texts.push(`<text x="${(cx + cw / 2) / stretch}" y="${y + size * 0.82}" transform="scale(${stretch} 1)" font-size="${size * 0.92}" text-anchor="middle"${bold ? ' font-weight="bold"' : ''}>${escapeXml(ch)}</text>`);
      }
      cx += cw;
    }
  };
  for (const item of page.items) {
    switch (item.kind) {
      case 'text':
        text(item.x + margin, item.y + margin, item.text, item.scaleW, item.scaleH, item.bold);
        break;
      case 'qr': {
        const m = qrMatrix(item.data, item.ecc);
        for (let r = 0; r < m.size; r++) {
          for (let c = 0; c < m.size; c++) if (m.dark(r, c)) fill(item.x + c * item.moduleSize, item.y + r * item.moduleSize, item.moduleSize, item.moduleSize);
        }
        break;
      }
      case 'barcode': {
        const top = item.hri === 'above' || item.hri === 'both' ? FONT_H + HRI_GAP : 0;
        let x = item.x;
        code128Modules(item.data).forEach((w, i) => {
          if (i % 2 === 0) fill(x, item.y + top, w * item.moduleWidth, item.height);
          x += w * item.moduleWidth;
        });
        const hriX = item.x + Math.max(0, (x - item.x - textDots(item.data)) / 2);
        if (top) text(hriX + margin, item.y + margin, item.data, 1, 1, false);
        if (item.hri === 'below' || item.hri === 'both') text(hriX + margin, item.y + top + item.height + HRI_GAP + margin, item.data, 1, 1, false);
        break;
      }
      case 'raster': {
        const stride = Math.ceil(item.width / 8);
        for (let r = 0; r < item.height; r++) {
          for (let c = 0; c < item.width; c++) {
            if ((item.bits[r * stride + (c >> 3)]! >> (7 - (c & 7))) & 1) fill(item.x + c, item.y + r, 1, 1);
          }
        }
        break;
      }
    }
  }
  const sharp = await sharpLib();
  let image = sharp(Buffer.from(canvas.buffer, canvas.byteOffset, canvas.byteLength), { raw: { width, height, channels: 1 } });
  if (texts.length) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g font-family="${FONT_FAMILY}" fill="#000">${texts.join('')}</g></svg>`;
    image = sharp(await image.png().toBuffer()).composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  }
  return image.flatten({ background: '#ffffff' }).grayscale().png().toBuffer();
}

/**
 * Turns an image (PNG, JPEG, ...) into a printer raster of `width` dots (aspect kept, at most
 * `maxHeight` dots tall), black where darker than `threshold` after flattening transparency
 * onto white.
 */
export async function imageToRaster(input: Buffer, width: number, threshold = 128, maxHeight = 4096): Promise<{ width: number; height: number; bits: Uint8Array }> {
  // A small file can claim a huge picture: refuse more than a 4096 x 4096 one before decoding it.
  // The height bound matters too: a 1 x 4096 picture scaled to 576 dots wide would be 2.4 M dots tall.
  const sharp = await sharpLib();
  const { data, info } = await sharp(input, { limitInputPixels: 4096 * 4096 }).flatten({ background: '#ffffff' }).resize({ width, height: maxHeight, fit: 'inside' }).grayscale().raw().toBuffer({ resolveWithObject: true });
  const w = info.width, h = info.height, stride = Math.ceil(w / 8);
  const bits = new Uint8Array(stride * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) if (data[(y * w + x) * info.channels]! < threshold) bits[y * stride + (x >> 3)]! |= 0x80 >> (x & 7);
  }
  return { width: w, height: h, bits };
}
