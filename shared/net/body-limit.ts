import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

export interface BodyLimitRule {
  /** Matched against the request path. */
  path: RegExp;
  maxSize: number;
}

/**
 * Request body limits per route, as one middleware (hono's `bodyLimit` underneath): the first
 * rule whose path matches sets the limit, else `maxSize`. A body over it is refused with 413
 * `payload_too_large` as soon as its Content-Length says so, or, when chunked, as soon as
 * that many bytes arrived; nothing larger is ever held in memory.
 */
export function bodyLimits(opts: { maxSize: number; rules?: readonly BodyLimitRule[] }): MiddlewareHandler {
  const make = (maxSize: number) => bodyLimit({
    maxSize,
    onError: (c) => {
      // The rest of the body is not wanted: say so, so the client stops sending.
      c.header('connection', 'close');
      return c.json({ error: { code: 'payload_too_large', message: `request body over ${maxSize} bytes / 请求内容过大`, details: { maxSize } } }, 413);
    },
  });
  const fallback = make(opts.maxSize);
  const rules = (opts.rules ?? []).map((r) => ({ path: r.path, limit: make(r.maxSize) }));
  return (c, next) => (rules.find((r) => r.path.test(c.req.path))?.limit ?? fallback)(c, next);
}
