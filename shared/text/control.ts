import { z } from 'zod';

/**
 * Control characters in text that people or partners send. None has a place in a name, a
 * note or a code: NUL makes Postgres refuse the whole statement (text and jsonb alike), the
 * others are printer and terminal commands, and a lone UTF-16 surrogate is not text at all.
 *
 * Free text (notes, reasons, addresses) may hold tab, line feed and carriage return; a value
 * that is one line (names, codes, query parameters, path segments) may not.
 *   refused everywhere: U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+007F-U+009F, lone surrogates
 *   refused in one-line values also: U+0009 tab, U+000A line feed, U+000D carriage return
 */
const IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|\p{Cs}/u;
const IN_LINE = /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/u;

/** The text with every refused character (one-line rules) shown as U+FFFD: safe to put in a message or a log. */
export const visible = (text: string) => text.replace(new RegExp(IN_LINE.source, 'gu'), '\ufffd');

/** The first refused character of `text` as "U+0000", or undefined when there is none. */
export function controlChar(text: string, opts: { multiline?: boolean } = {}): string | undefined {
  const m = (opts.multiline === false ? IN_LINE : IN_TEXT).exec(text);
  return m ? `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}

export interface ControlCharAt {
  /** Dotted path of the string (or of the object key) that holds it, "" for the value itself. */
  path: string;
  char: string;
}

/**
 * The first refused character anywhere in a parsed JSON value, strings and object keys alike,
 * depth first. Free text rules: a JSON body does not say which of its strings are one line;
 * the schemas of such fields use `text()` for that.
 */
export function findControlChar(value: unknown, path: string[] = []): ControlCharAt | undefined {
  if (typeof value === 'string') {
    const char = controlChar(value);
    return char ? { path: path.join('.'), char } : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findControlChar(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    const char = controlChar(key, { multiline: false });
    if (char) return { path: [...path, key].join('.'), char };
    const found = findControlChar(v, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/**
 * A zod string for text people type: length bounds and no control characters (one line
 * unless `multiline`).
 */
export function text(opts: { min?: number; max: number; multiline?: boolean }) {
  const multiline = opts.multiline ?? false;
  return z.string().min(opts.min ?? 0).max(opts.max).refine((s) => controlChar(s, { multiline }) === undefined, {
    message: multiline ? 'no control characters' : 'one line without control characters',
  });
}
