/**
 * An instant as staff read it, in the browser's zone (the window's and the office's zone is
 * the site's): 2026-12-06 14:05. The same digits whatever the browser's language, so a
 * screen in Chinese never shows "12/6/2026, 2:05:00 PM".
 */
export function when(iso: string | number | Date | null | undefined, opts: { seconds?: boolean } = {}): string {
  if (iso === null || iso === undefined || iso === '') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return `${day} ${p(d.getHours())}:${p(d.getMinutes())}${opts.seconds ? `:${p(d.getSeconds())}` : ''}`;
}
