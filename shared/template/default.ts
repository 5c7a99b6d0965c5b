import type { TemplateLayoutInput } from './model.ts';

/**
 * The layout used where no template is set for the ticket type or the site (kiosks, window
 * printing at HQ): big type name, the QR the gate reads, validity, persons, order. Prices are
 * left out: a booked ticket's price is the channel's, which a kiosk does not know.
 */
export const DEFAULT_TEMPLATE: TemplateLayoutInput = {
  paper: 80,
  elements: [
    { kind: 'field', field: 'siteName', align: 'center', bold: true },
    { kind: 'field', field: 'typeName', align: 'center', width: 2, height: 2 },
    { kind: 'qr', align: 'center', moduleSize: 5, ecc: 'M' },
    { kind: 'field', field: 'validDates', label: '有效期 Valid: ' },
    { kind: 'field', field: 'persons', label: '人数 Persons: ' },
    { kind: 'field', field: 'orderNo', label: '订单 Order: ' },
    { kind: 'field', field: 'issuedAt', label: '出票 Printed: ' },
    { kind: 'text', text: '请在闸机扫码入园 Scan at the gate', align: 'center' },
  ],
  bottomFeed: 64,
};
