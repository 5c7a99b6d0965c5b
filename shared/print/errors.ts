/**
 * Printer failures with a stable code, so a kiosk can say "printer out of paper" without
 * parsing messages. The first three are what the printer reports (DLE EOT); `no_response`
 * means it did not answer a status request in time (unplugged, powered off, wrong port).
 */
export type PrinterErrorCode =
  | 'paper_out'
  | 'cover_open'
  | 'printer_error'
  | 'offline'
  | 'no_response'
  | 'write_failed'
  | 'not_started'
  | 'invalid_argument';

export class PrinterError extends Error {
  readonly code: PrinterErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: PrinterErrorCode, message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PrinterError';
    this.code = code;
    this.context = context;
  }
}
