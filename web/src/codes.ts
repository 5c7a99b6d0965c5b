import { i18n } from './i18n/index.ts';

/**
 * What a stored code (a customer or ticket category, a kind) reads as on a screen: the
 * catalogue's `codes.<value>` when it has one, else the value as it is (a name someone typed).
 * Reports and accounts carry such codes in text columns; staff read 旅行社, not "agency".
 */
export function codeLabel(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  const key = `codes.${s}`;
  return /^[a-z][a-z0-9_]*$/.test(s) && i18n.global.te(key) ? i18n.global.t(key) : s;
}
