/**
 * Real-time status bytes (DLE EOT n answers), as Epson's ESC/POS reference defines them. Every
 * answer has bits 1 and 4 set and bits 0 and 7 clear, which is how a reader tells a status byte
 * from noise on the line and resynchronises after it.
 *
 *   n = 1 printer:  bit 3 offline
 *   n = 2 offline:  bit 2 cover open, bit 3 paper fed by the button, bit 5 stopped by paper end, bit 6 error
 *   n = 3 error:    bit 3 autocutter error, bit 5 unrecoverable error, bit 6 auto-recoverable error
 *   n = 4 paper:    bits 2-3 roll near end, bits 5-6 roll end
 */
export const STATUS_BASE = 0x12;
export const isStatusByte = (b: number) => (b & 0x93) === STATUS_BASE;

export type PaperState = 'ok' | 'near_end' | 'out';

export interface PrinterStatus {
  online: boolean;
  paper: PaperState;
  coverOpen: boolean;
  /** Cutter jam or another error the printer reports. */
  error: boolean;
}

/** The state a printer keeps, from which it answers each DLE EOT n. */
export function statusByte(n: number, s: PrinterStatus): number {
  switch (n) {
    case 1: return STATUS_BASE | (s.online ? 0 : 0x08);
    case 2: return STATUS_BASE | (s.coverOpen ? 0x04 : 0) | (s.paper === 'out' ? 0x20 : 0) | (s.error ? 0x40 : 0);
    case 3: return STATUS_BASE | (s.error ? 0x08 : 0);
    case 4: return STATUS_BASE | (s.paper === 'near_end' ? 0x0c : 0) | (s.paper === 'out' ? 0x6c : 0);
    default: throw new RangeError(`no status ${n}`);
  }
}

/** Reads the answers to DLE EOT 1, 2 and 4 back into a status. */
export function parseStatus(printer: number, offline: number, paper: number): PrinterStatus {
  const out = (offline & 0x20) !== 0 || (paper & 0x60) === 0x60;
  return {
    online: (printer & 0x08) === 0,
    paper: out ? 'out' : (paper & 0x0c) === 0x0c ? 'near_end' : 'ok',
    coverOpen: (offline & 0x04) !== 0,
    error: (offline & 0x40) !== 0,
  };
}
