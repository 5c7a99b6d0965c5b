import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { errorMessage } from '../../shared/i18n/errors.ts';
import { fieldLabel } from '../../shared/i18n/fields.ts';
import { negotiateLocale, type Locale } from '../../shared/i18n/locale.ts';
import { issueMessage, type Issue } from '../../shared/i18n/validation.ts';

/** The language a request is answered in: `?lang=`, else Accept-Language, else Chinese. */
export function requestLocale(c: Context): Locale {
  return negotiateLocale(c.req.query('lang'), c.req.header('accept-language'));
}

/**
 * The body of an error answer: the code's message from the catalogue (shared/i18n/errors.ts)
 * in the request's language, with the error's details; the server's own wording, when it
 * says more, as `detail` (for logs and developers).
 */
export function errorBody(code: string, serverMessage: string, context: Record<string, unknown>, locale: Locale) {
  const message = errorMessage(code, locale, context) ?? serverMessage;
  const details = Object.keys(context).length ? { details: context } : {};
  // An error about one field names it as validation errors do, for the form to show it there.
  const field = typeof context.field === 'string' ? { field: context.field } : {};
  return { error: { code, message, ...field, ...details, ...(serverMessage && serverMessage !== message ? { detail: serverMessage } : {}) } };
}

/**
 * A validation failure: each problem with its field's path (`lines.0.quantity`, for the form
 * to put the message beside the field), the field's name and the message in the request's
 * language. The submitted values are never echoed back.
 */
export function validationBody(err: ZodError, locale: Locale) {
  const issues = err.issues.map((raw) => {
    const i = raw as unknown as Issue;
    // An unknown key is a problem of the object holding it: point at that key.
    const path = i.code === 'unrecognized_keys' && i.keys?.length ? [...i.path, i.keys[0]!] : i.path;
    return { path: path.map(String).join('.'), field: fieldLabel(path, locale), message: issueMessage(i, locale) };
  });
  const first = issues[0];
  const message = first?.message ?? errorMessage('invalid_request', locale)!;
  return { error: { code: 'invalid_request', message, ...(first ? { field: first.path } : {}), issues } };
}
