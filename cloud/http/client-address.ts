import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

/**
 * The peer address of the request's socket. Behind a reverse proxy that is the proxy's:
 * forwarded headers are not believed, since anyone can send them.
 */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // app.request() in-process: no socket
  }
}
