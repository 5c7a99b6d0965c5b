import { EscPosBuilder } from '../print/escpos.ts';
import { itemHeight, type Page } from '../print/page.ts';

/**
 * Encodes a laid-out page as one ESC/POS job: items top to bottom, each started at its own
 * left margin (GS L) after feeding (ESC J) down to its y, text with a line spacing equal to
 * its height so the printer advances exactly as the layout did; then a feed and a cut.
 */
export function pageToEscPos(page: Page): Buffer {
  const out = new EscPosBuilder().init().chinese(true);
  let y = 0;
  const items = [...page.items].sort((a, b) => a.y - b.y);
  for (const item of items) {
    if (item.y < y) continue; // the layout never overlaps items; a page from elsewhere might
    out.feed(item.y - y);
    out.leftMargin(item.x).align('left');
    switch (item.kind) {
      case 'text':
        out.size(item.scaleW, item.scaleH).bold(item.bold).lineSpacing(itemHeight(item)).line(item.text).size(1, 1).bold(false);
        break;
      case 'qr':
        out.qr(item.data, { moduleSize: item.moduleSize, ecc: item.ecc });
        break;
      case 'barcode':
        out.code128(item.data, { moduleWidth: item.moduleWidth, height: item.height, hri: item.hri });
        break;
      case 'raster':
        out.raster(item.width, item.height, item.bits);
        break;
    }
    y = item.y + itemHeight(item);
  }
  const rest = Math.max(0, page.height - y);
  out.feed(Math.max(0, rest - Math.min(rest, 255))).leftMargin(0).cut(Math.min(rest, 255));
  return out.bytes();
}
