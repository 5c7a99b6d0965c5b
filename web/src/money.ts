import { fen, formatYuan, parseYuan } from '../../shared/money/money.ts';

/** ¥120.00 (and -¥50.00) from fen: money is integer fen everywhere; this is only how it reads. */
export function yuan(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n < 0 ? `-¥${formatYuan(fen(-n))}` : `¥${formatYuan(fen(n))}`;
}

/** Fen from what a seller typed ("120", "120.5", "¥1,200.00"); undefined when it is not an amount. */
export function toFen(text: string | number | undefined | null): number | undefined {
  if (text === undefined || text === null) return undefined;
  const t = String(text).replace(/[¥,\s]/g, '');
  if (t === '') return undefined;
  try {
    return parseYuan(t);
  } catch {
    return undefined;
  }
}

/** Yuan text for an input field from fen: 12000 -> "120.00". */
export const fenText = (n: number) => formatYuan(fen(n));
