import { readTicketCode } from '../../shared/code/ticket-code.ts';
import { DEFAULT_TEMPLATE, templateLayout, ticketToEscPos, type TemplateLayoutInput, type TicketPrintData } from '../../shared/template/index.ts';
import type { KioskStore } from './store.ts';

/** A ticket to print, as far as the caller knows it; the rest is read from its signed code. */
export interface PrintTicket {
  ticketId: string;
  code: string;
  typeId?: number;
  typeName?: string;
  priceFen?: number;
  /** UTC ms. */
  validFrom?: number;
  validUntil?: number;
  persons: number;
  entries?: number;
}

/**
 * The layout for a ticket type: HQ's template for the type, else the site's, else the
 * built-in one. A template change is kept as sent; its layout is read from `layout` (or a
 * nested `template.layout`), and one that does not validate is passed over, not printed.
 */
export function templateFor(store: KioskStore, typeId: number | undefined): TemplateLayoutInput {
  for (const key of [typeId === undefined ? undefined : `type:${typeId}`, 'default']) {
    if (!key) continue;
    const c = store.template(key) as Record<string, any> | undefined;
    if (!c) continue;
    const candidate = c.layout ?? c.template?.layout ?? c.template;
    if (templateLayout.safeParse(candidate).success) return candidate as TemplateLayoutInput;
  }
  return DEFAULT_TEMPLATE;
}

/** One ticket as one ESC/POS job (ends with a cut), through its template. */
export async function ticketJob(store: KioskStore, t: PrintTicket, o: { orderNo: string; siteName: string; timeZone: string; now: number }): Promise<Buffer> {
  const read = readTicketCode(t.code, store.keyring());
  const facts = read.ok ? read.facts : undefined;
  const typeId = t.typeId ?? facts?.typeId;
  const type = store.types().find((x) => x.typeId === typeId);
  const data: TicketPrintData = {
    ticketId: t.ticketId,
    code: t.code,
    typeName: t.typeName ?? type?.name ?? '门票 Ticket',
    priceFen: t.priceFen ?? type?.priceFen ?? 0,
    validFrom: t.validFrom ?? (facts ? facts.validFrom * 1000 : o.now),
    validUntil: t.validUntil ?? (facts ? facts.validUntil * 1000 : o.now),
    persons: t.persons,
    entries: t.entries ?? facts?.entries ?? type?.entries ?? 1,
    orderNo: o.orderNo,
    siteName: o.siteName,
    issuedAt: o.now,
  };
  return ticketToEscPos(templateFor(store, typeId), data, { timeZone: o.timeZone });
}
