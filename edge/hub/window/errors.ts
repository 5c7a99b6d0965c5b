import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { errorMessage } from '../../../shared/i18n/errors.ts';
import { negotiateLocale } from '../../../shared/i18n/locale.ts';

/** An error of the hub's window API: a code from the catalogue (shared/i18n/errors.ts), as HQ answers. */
export class HubError extends Error {
  constructor(readonly code: string, message: string, readonly status: ContentfulStatusCode = 400, readonly context: Record<string, unknown> = {}) {
    super(message);
  }
}

/** The answer to an error, in the request's language, shaped as HQ's (cloud/http/localise.ts). */
export function errorAnswer(c: Context, err: unknown): Response | undefined {
  const locale = negotiateLocale(c.req.query('lang'), c.req.header('accept-language'));
  if (err instanceof HubError) {
    const message = errorMessage(err.code, locale, err.context) ?? err.message;
    return c.json({ error: { code: err.code, message, ...(Object.keys(err.context).length ? { details: err.context } : {}), ...(message !== err.message ? { detail: err.message } : {}) } }, err.status);
  }
  if (err instanceof ZodError) {
    const i = err.issues[0];
    const field = i?.path.join('.') || undefined;
    const message = errorMessage('invalid_request', locale, {}) ?? 'invalid request';
    return c.json({ error: { code: 'invalid_request', message: field ? `${message}：${field}` : message, ...(field ? { field } : {}), detail: i?.message } }, 400);
  }
  return undefined;
}
