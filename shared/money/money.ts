/**
 * Money is always an integer number of fen (1 yuan = 100 fen). Floats never hold money:
 * every entry point checks for a safe integer so a rounding error cannot creep in.
 */
export type Fen = number & { readonly __unit: 'fen' };

export class MoneyError extends Error {
  readonly code = 'invalid_money';
  constructor(message: string) {
    super(message);
    this.name = 'MoneyError';
  }
}

export function fen(value: number): Fen {
  if (!Number.isSafeInteger(value)) throw new MoneyError(`not an integer amount of fen: ${value}`);
  return value as Fen;
}

export function addFen(...values: Fen[]): Fen {
  return fen(values.reduce<number>((sum, v) => sum + v, 0));
}

export function timesFen(unit: Fen, quantity: number): Fen {
  if (!Number.isSafeInteger(quantity)) throw new MoneyError(`not an integer quantity: ${quantity}`);
  return fen(unit * quantity);
}

const YUAN_TEXT = /^(-)?(\d{1,13})(?:\.(\d{1,2}))?$/;

/** Parses "12", "12.5", "12.50" (yuan, as typed by a person) into fen, exactly. */
export function parseYuan(text: string): Fen {
  const m = YUAN_TEXT.exec(text.trim());
  if (!m) throw new MoneyError(`not an amount in yuan: ${JSON.stringify(text)}`);
  const [, minus, whole, frac = ''] = m;
  const value = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  return fen(minus ? -value : value);
}

/** 1250 -> "12.50"; a person reads yuan, the system keeps fen. */
export function formatYuan(amount: Fen): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
