import { renderPng } from '../print/page.ts';
import { pageToEscPos } from './escpos.ts';
import { layoutTicket, type LayoutOptions } from './layout.ts';
import type { TemplateLayoutInput, TicketPrintData } from './model.ts';

export * from './model.ts';
export { fieldValue, layoutTicket, SAMPLE_TICKET } from './layout.ts';
export { pageToEscPos } from './escpos.ts';
export { pickTemplate, type HeldTemplate } from './pick.ts';
export { DEFAULT_TEMPLATE } from './default.ts';

/** The ticket as ESC/POS bytes, one job ending with a cut. */
export async function ticketToEscPos(template: TemplateLayoutInput, data: TicketPrintData, opts: LayoutOptions): Promise<Buffer> {
  return pageToEscPos(await layoutTicket(template, data, opts));
}

/** The ticket as the printer would print it, as a PNG. */
export async function ticketPreviewPng(template: TemplateLayoutInput, data: TicketPrintData, opts: LayoutOptions): Promise<Buffer> {
  return renderPng(await layoutTicket(template, data, opts));
}
