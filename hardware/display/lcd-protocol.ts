import iconv from 'iconv-lite';

/**
 * Serial character LCD / VFD customer display: the Epson customer-display command set
 * (ESC/POS for DM-D displays), which the GB2312/GB18030 2 x 20 and 4 x 20 pole displays and
 * LCD modules sold for Chinese tills implement. Text is GB18030 with Chinese mode on (FS &):
 * ASCII one byte and one column, a Hanzi two bytes and two columns.
 *
 *   ESC @        1B 40        initialise (clear, cursor home, modes to default)
 *   US MD1       1F 01        overwrite mode: at a row's end the cursor goes to the next row
 *   US C n       1F 43 n      cursor off (0) / on (1)
 *   US X n       1F 58 n      brightness 1..4
 *   FS & / FS .  1C 26 / 1C 2E  Chinese (double-byte) characters on / off
 *   CLR          0C           clear the screen, cursor to row 1 column 1
 *   CAN          18           clear the cursor's row
 *   US $ x y     1F 24 x y    cursor to column x, row y (both from 1)
 *   HOM          0B           cursor to row 1 column 1
 *   CR           0D           cursor to the start of its row
 *   LF           0A           cursor one row down
 *
 * One frame, as the driver sends it for each text shown:
 *   CLR, FS &, then for each row r that has text: US $ 1 r, the row's GB18030 bytes.
 * Every frame is whole by itself: a glitch on the line that reset the display or turned
 * Chinese mode off is put right by the next frame.
 */
export const ESC = 0x1b;
export const US = 0x1f;
export const FS = 0x1c;
export const CLR = 0x0c;
export const CAN = 0x18;
export const HOM = 0x0b;

/** Sent once after the port opens. */
export function lcdInit(brightness: number): Buffer {
  return Buffer.from([ESC, 0x40, US, 0x01, US, 0x43, 0, US, 0x58, brightness, FS, 0x26]);
}

/** Clears the screen and writes `lines` (already fitted to the display), one per row. */
export function lcdFrame(lines: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([CLR, FS, 0x26])];
  lines.forEach((line, i) => {
    if (line === '') return;
    parts.push(Buffer.from([US, 0x24, 1, i + 1]), iconv.encode(line, 'gb18030'));
  });
  return Buffer.concat(parts);
}

export const lcdClear = (): Buffer => Buffer.from([CLR]);
