import { createRequire } from 'node:module';
import type QRCode from 'qrcode';
import type bwipjs from 'bwip-js/node';

// Synchronous on purpose: the page metrics (qrDots, barcodeSize) are asked for inside the
// printer simulator's byte-by-byte ESC/POS interpreter and in plain functions that lay out a
// page, where an await cannot go. A require() on first use keeps them synchronous and still
// keeps both encoders out of the start of a hub or kiosk that never lays out a page.
const load = createRequire(import.meta.url);
let qrcode: typeof QRCode | undefined;
let bwip: typeof bwipjs | undefined;

/** The QR encoder (qrcode), loaded on first use. */
export function qrcodeLib(): typeof QRCode {
  qrcode ??= load('qrcode') as typeof QRCode;
  return qrcode;
}

/** The CODE128 encoder (bwip-js), loaded on first use. */
export function bwipLib(): typeof bwipjs {
  bwip ??= load('bwip-js/node') as typeof bwipjs;
  return bwip;
}
