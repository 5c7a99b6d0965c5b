/** The languages people read this system in: Simplified Chinese by default, English available. */
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-CN';

/** `en`, `en-US`, `zh`, `zh-CN`, `zh-Hans` ... to one of ours, or undefined. */
export function toLocale(tag: string | undefined | null): Locale | undefined {
  const t = (tag ?? '').trim().toLowerCase();
  if (t === 'en' || t.startsWith('en-')) return 'en';
  if (t === 'zh' || t.startsWith('zh-')) return 'zh-CN';
  return undefined;
}

/**
 * The locale of a request: an explicit `?lang=` wins, then the Accept-Language language of
 * highest quality that we speak, else Chinese.
 */
export function negotiateLocale(query: string | undefined, acceptLanguage: string | undefined): Locale {
  const explicit = toLocale(query);
  if (explicit) return explicit;
  let best: { locale: Locale; q: number } | undefined;
  for (const part of (acceptLanguage ?? '').split(',').slice(0, 20)) {
    const [tag, ...params] = part.split(';');
    const locale = toLocale(tag);
    if (!locale) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qp ? Number(qp.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    if (!best || q > best.q) best = { locale, q };
  }
  return best?.locale ?? DEFAULT_LOCALE;
}
