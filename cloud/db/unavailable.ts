/**
 * Errors that mean "the database cannot be reached right now" (a failover, a restart), not
 * "the request is wrong": HQ answers them 503 so that clients retry, with their
 * Idempotency-Key, instead of giving up on a 500.
 */
const CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOPRIMARY',
  '25006', // read-only transaction: reached a standby, or a primary not yet allowed to write
  '57P01', '57P02', '57P03', // shutting down, crashed, cannot connect now
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
  '53300', // too many connections
]);
const MESSAGES = /Connection terminated|connection error|not queryable|timeout expired|timeout exceeded when trying to connect|Client was closed/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string' && CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
  }
  return false;
}
