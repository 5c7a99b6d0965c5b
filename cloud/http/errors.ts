import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import type { Logger } from '../../shared/log/logger.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { errorBody, requestLocale, validationBody } from './localise.ts';
import { findControlChar, visible } from '../../shared/text/control.ts';

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
    const locale = requestLocale(c);
    if (err instanceof AppError) return c.json(errorBody(err.code, err.message, err.context, locale), err.status);
    if (err instanceof ZodError) return c.json(validationBody(err, locale), 400);
    if (err instanceof HTTPException) return c.json(errorBody('http_error', err.message, {}, locale), err.status);
    if (isDatabaseUnavailable(err)) {
      log.warn({ err: err.message }, 'database unavailable');
      c.header('Retry-After', '1');
      return c.json(errorBody('database_unavailable', '', {}, locale), 503);
    }
    log.error({ err }, 'unhandled error');
    return c.json(errorBody('internal', '', {}, locale), 500);
  };
}

/** A control character in a request (see shared/text/control.ts), with where it was. */
export function controlCharError(where: 'body' | 'query' | 'path', field: string, char: string): AppError {
  const name = visible(field) || where;
  return new AppError('control_character', `${name} 含有控制字符 ${char} / ${name} holds a control character (${char})`, 400, { where, field: visible(field), char });
}

/**
 * Reads a JSON body, turning a parse failure into a clear 400 rather than a 500. Every write
 * endpoint reads its body here, so this is where control characters are refused, whatever
 * the field: one check instead of one per schema.
 */
export async function jsonBody(c: Context): Promise<unknown> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new AppError('invalid_json', 'request body is not valid JSON');
  }
  const bad = findControlChar(body);
  if (bad) throw controlCharError('body', bad.path, bad.char);
  return body;
}
