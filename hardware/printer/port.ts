import type { DevicePort, TypedEmitter } from '../port.ts';
import type { PrinterStatus } from './status.ts';

export interface PrinterEvents {
  /** The status changed (seen before or after a job, or by status()). */
  status: PrinterStatus;
  /** Noise on the line, or an answer nobody asked for; the driver resynchronises and goes on. */
  error: Error;
}

export interface PrintResult {
  bytes: number;
  /** The status after the job; undefined on a line that cannot answer (device file). */
  status: PrinterStatus | undefined;
}

/**
 * A receipt / ticket printer taking ESC/POS jobs (see escpos.ts to build one; a job ends with a
 * cut). Jobs run one after the other. Where the printer can answer (serial), print() checks its
 * status before and after the job and rejects with a PrinterError whose code says why:
 * `paper_out`, `cover_open`, `printer_error`, `offline`, `no_response`.
 */
export interface PrinterPort extends DevicePort, TypedEmitter<PrinterEvents> {
  print(job: Uint8Array): Promise<PrintResult>;
  /** Asks the printer now; rejects with `no_response` if it does not answer, `offline` on a write-only line. */
  status(): Promise<PrinterStatus>;
}
