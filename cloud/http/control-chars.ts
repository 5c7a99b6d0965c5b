import type { MiddlewareHandler } from 'hono';
import { controlChar } from '../../shared/text/control.ts';
import { controlCharError } from './errors.ts';

/**
 * Refuses control characters in the path and the query string of every request before any
 * route reads them (path parameters and query values are one line each). Bodies are checked
 * where they are read, by jsonBody.
 */
export function refuseControlChars(): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    for (const segment of url.pathname.split('/')) {
      const char = controlChar(decode(segment), { multiline: false });
      if (char) throw controlCharError('path', '', char);
    }
    for (const [key, value] of url.searchParams) {
      const char = controlChar(key + value, { multiline: false });
      if (char) throw controlCharError('query', key, char);
    }
    await next();
  };
}

/** A segment as routes see it; a malformed escape is left to the router. */
function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
