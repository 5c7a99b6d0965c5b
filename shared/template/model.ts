import { z } from 'zod';
import { text } from '../text/control.ts';

/**
 * A ticket print template: what a supervisor lays out for a ticket type, stored and versioned
 * at HQ, synced to kiosks, and printed through layout.ts (to ESC/POS and to a PNG preview).
 * Positions and sizes are in printer dots (203 dpi: 8 dots a millimetre). Elements flow down
 * the paper in the order of their `y` (then as listed): a receipt printer cannot go back up,
 * so an element whose `y` is above the end of the one before it comes right after it.
 */
export const TEMPLATE_FIELDS = [
  'typeName', 'price', 'validFrom', 'validUntil', 'validDates', 'persons', 'entries',
  'ticketId', 'orderNo', 'siteName', 'issuedAt',
] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/**
 * Values a CODE128 barcode can carry: the bound barcode credential (what gates resolve), or the
 * ticket or order id as 32 hex digits. An id is 387 modules: on 80 mm paper it fits only at
 * module width 1 (0.125 mm), below what many scanners read reliably.
 */
export const BARCODE_SOURCES = ['barcode', 'ticketId', 'orderNo'] as const;

const place = {
  /** Dots from the top of the ticket; absent: right after the element before. */
  y: z.number().int().min(0).max(20_000).optional(),
  /** Dots from the left edge; when set, `align` is ignored. */
  x: z.number().int().min(0).max(575).optional(),
  align: z.enum(['left', 'center', 'right']).default('left'),
};
const textStyle = {
  /** Character width and height multipliers (GS !). */
  width: z.number().int().min(1).max(4).default(1),
  height: z.number().int().min(1).max(4).default(1),
  bold: z.boolean().default(false),
};

export const templateElement = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('text'), text: text({ min: 1, max: 200 }), ...textStyle, ...place }),
  z.strictObject({
    kind: z.literal('field'),
    field: z.enum(TEMPLATE_FIELDS),
    /** Printed before the value, e.g. "有效期：". */
    label: text({ max: 40 }).default(''),
    ...textStyle, ...place,
  }),
  /** The ticket's signed code, as a model 2 QR code. */
  z.strictObject({
    kind: z.literal('qr'),
    moduleSize: z.number().int().min(2).max(16).default(6),
    ecc: z.enum(['L', 'M', 'Q', 'H']).default('M'),
    ...place,
  }),
  z.strictObject({
    kind: z.literal('barcode'),
    source: z.enum(BARCODE_SOURCES).default('barcode'),
    moduleWidth: z.number().int().min(1).max(6).default(2),
    height: z.number().int().min(16).max(255).default(80),
    hri: z.enum(['none', 'above', 'below', 'both']).default('below'),
    ...place,
  }),
  /** A logo: PNG or JPEG, base64, printed black and white `width` dots wide. */
  z.strictObject({
    kind: z.literal('image'),
    data: z.string().min(8).max(96_000).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
    width: z.number().int().min(8).max(576).default(256),
    threshold: z.number().int().min(1).max(255).default(128),
    ...place,
  }),
]);
export type TemplateElement = z.output<typeof templateElement>;

export const templateLayout = z.strictObject({
  /** Paper width in mm: 80 (576 dots) or 58 (384 dots). */
  paper: z.union([z.literal(58), z.literal(80)]).default(80),
  elements: z.array(templateElement).min(1).max(60),
  /** Paper fed after the last element, before the cut. */
  bottomFeed: z.number().int().min(0).max(255).default(48),
  locale: z.enum(['zh-CN', 'en']).default('zh-CN'),
});
export type TemplateLayout = z.output<typeof templateLayout>;
export type TemplateLayoutInput = z.input<typeof templateLayout>;

/** What a template prints about one ticket. Instants in UTC ms, money in fen. */
export interface TicketPrintData {
  ticketId: string;
  /** The signed ticket code: what the QR holds and the gate verifies. */
  code: string;
  typeName: string;
  priceFen: number;
  validFrom: number;
  /** Exclusive end: the start of the business day after the last valid one. */
  validUntil: number;
  persons: number;
  /** 0 = unlimited. */
  entries: number;
  orderNo: string;
  siteName: string;
  issuedAt: number;
  /** A bound barcode credential, if the ticket has one. */
  barcode?: string;
}

export type TemplateErrorCode = 'too_wide' | 'too_long' | 'too_much_text' | 'bad_image' | 'bad_code' | 'no_value';

/** A template that cannot be printed for this ticket, and why. */
export class TemplateError extends Error {
  constructor(readonly code: TemplateErrorCode, message: string, readonly context: Record<string, unknown> = {}) {
    super(message);
    this.name = 'TemplateError';
  }
}
