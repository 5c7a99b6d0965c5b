/**
 * Fitting text to a character display, shared by every display driver so the simulator shows
 * what an LCD would. Widths are in columns: an LCD with a GB2312 font draws every double-byte
 * character (Hanzi, full-width punctuation, and symbols such as × · “ ” …) twice as wide as ASCII.
 */

/** Printable characters outside ASCII that take one column: Latin letters with accents (names, pinyin) and half-width forms. */
const NARROW: readonly (readonly [number, number])[] = [
  [0x20, 0x7e],
  [0xa0, 0x2ff],
  [0xff61, 0xffdc],
  [0xffe8, 0xffee],
];
/** Latin-1 symbols that GB2312 holds as double-byte characters. */
const WIDE_LATIN1 = new Set('¤§¨°±·×÷');
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;

/**
 * Columns one code point takes. Anything not known to be narrow counts as wide: a row that comes
 * out a little short is harmless, one that runs over gets cut or wrapped by the hardware.
 */
export function charWidth(char: string): 0 | 1 | 2 {
  if (ZERO_WIDTH.test(char)) return 0;
  if (WIDE_LATIN1.has(char)) return 2;
  const code = char.codePointAt(0) ?? 0;
  return NARROW.some(([from, to]) => code >= from && code <= to) ? 1 : 2;
}

export function textWidth(text: string): number {
  let width = 0;
  for (const char of text) width += charWidth(char);
  return width;
}

/**
 * Splits a line into rows of at most `columns`, breaking after a space where the row has one
 * (Latin words stay whole) and anywhere else otherwise (Chinese has no spaces to break at). A
 * wide character never straddles two rows.
 */
export function wrapLine(line: string, columns: number): string[] {
  const rows: string[] = [];
  let row = '';
  let width = 0;
  let lastSpace = -1;
  for (const char of line) {
    const w = charWidth(char);
    if (width + w > columns && row !== '') {
      // Break after the last space, unless only indentation comes before it.
      const atSpace = char !== ' ' && lastSpace > 0 && row.slice(0, lastSpace).trim() !== '';
      rows.push((atSpace ? row.slice(0, lastSpace) : row).trimEnd());
      row = atSpace ? row.slice(lastSpace + 1) : '';
      width = textWidth(row);
      lastSpace = -1;
    }
    // A continuation row does not start with the space it was broken at.
    if (char === ' ' && row === '' && rows.length > 0) continue;
    row += char;
    width += w;
    if (char === ' ') lastSpace = row.length - 1;
  }
  rows.push(row.trimEnd());
  return rows;
}

/**
 * Fits `lines` to `rows` x `columns`. Control characters are dropped (on a serial LCD they
 * would be commands) and embedded newlines start a new line. Every line that fits keeps at
 * least one row; spare rows let earlier lines wrap; whatever does not fit is cut.
 */
export function fitLines(lines: readonly string[], rows: number, columns: number): string[] {
  const given = lines
    .flatMap((line) => line.replace(/\t/g, ' ').replace(/\r\n?/g, '\n').split('\n'))
    .map((line) => line.replace(/\p{Cc}/gu, ''))
    .slice(0, rows);
  const out: string[] = [];
  given.forEach((line, i) => {
    const spare = rows - out.length - (given.length - i - 1);
    out.push(...wrapLine(line, columns).slice(0, spare));
  });
  return out;
}
