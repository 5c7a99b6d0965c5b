import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';

/** A domain error: a stable code for programs, a message for people, an HTTP status. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: ContentfulStatusCode = 400,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, id: string | number) =>
  new AppError('not_found', `${what} not found: ${id}`, 404, { what, id });

export function errorHandler(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof AppError) {
      const details = Object.keys(err.context).length ? { details: err.context } : {};
      return c.json({ error: { code: err.code, message: err.message, ...details } }, err.status);
    }
    if (err instanceof ZodError) {
      const issues = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const first = issues[0];
      const message = first ? `invalid ${first.path || 'body'}: ${first.message}` : 'invalid request';
      return c.json({ error: { code: 'invalid_request', message, issues } }, 400);
    }
    if (err instanceof HTTPException) {
      return c.json({ error: { code: 'http_error', message: err.message } }, err.status);
    }
    if (isDatabaseUnavailable(err)) {
      log.warn({ err: err.message }, 'database unavailable');
      c.header('Retry-After', '1');
      return c.json({ error: { code: 'database_unavailable', message: '数据库暂不可用，请稍后重试 / database unavailable, please retry' } }, 503);
    }
    log.error({ err }, 'unhandled error');
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  };
}

/** Reads a JSON body, turning a parse failure into a clear 400 rather than a 500. */
export async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new AppError('invalid_json', 'request body is not valid JSON');
  }
}
