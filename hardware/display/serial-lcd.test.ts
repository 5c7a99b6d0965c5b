import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import iconv from 'iconv-lite';
import { DeviceError } from '../errors.ts';
import { SerialLine } from '../serial/line.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import { openPtyPair } from '../testing/pty.ts';
import { createDisplay, displayConfigSchema } from './create.ts';
import { LcdDevice } from './lcd-device.ts';
import { lcdFrame, lcdInit } from './lcd-protocol.ts';
import { SerialLcdDisplay } from './serial-lcd.ts';

/** A line that hands what is written straight to a simulated LCD; `open` on start, like SerialLine. */
class LcdCable {
  readonly events = new EventEmitter();
  readonly written: Buffer[] = [];
  open = false;
  failWrites = false;
  constructor(readonly device: LcdDevice) {}
  async start() { this.open = true; this.events.emit('open', { path: 'cable' }); }
  async stop() { this.open = false; }
  async write(data: Buffer) {
    if (!this.open || this.failWrites) throw new DeviceError('serial_unavailable', 'cable is not open');
    this.written.push(data);
    this.device.receive(data);
  }
  on(e: 'open', l: (x: { path: string }) => void) { this.events.on(e, l); return this; }
  off(e: 'open', l: (x: { path: string }) => void) { this.events.off(e, l); return this; }
}

const FRAMES = [['欢迎光临', 'Welcome'], ['检票成功 请通行', '成人票 ×2', 'Adult x2', '有效期至 18:00'], ['票已用完', 'Ticket used']];
const stream = () => Buffer.concat([lcdInit(3), ...FRAMES.map((f) => lcdFrame(f))]);

test('the simulated LCD shows a frame as sent, Chinese two cells wide', () => {
  const lcd = new LcdDevice({ rows: 4, columns: 20 });
  lcd.receive(Buffer.concat([lcdInit(3), lcdFrame(FRAMES[1]!)]));
  assert.equal(lcd.lines, FRAMES[1]);
  assert.equal([lcd.brightness, lcd.cursorVisible], [3, false]);
  assert.equal(lcd.problems, []);
  lcd.receive(lcdFrame(['a', '', 'c']));
  assert.equal(lcd.lines, ['a', '', 'c']);
});

test('split at every byte or merged, the stream ends on the same screen', () => {
  const whole = new LcdDevice();
  whole.receive(stream());
  const bytes = new LcdDevice();
  for (const b of stream()) bytes.receive(Uint8Array.of(b));
  assert.equal(bytes.lines, whole.lines);
  assert.equal(whole.lines, FRAMES[2]);
  for (const cut of [1, 5, 13, 14, 15, 40]) {
    const split = new LcdDevice();
    split.receive(stream().subarray(0, cut));
    split.receive(stream().subarray(cut));
    assert.equal(split.lines, FRAMES[2], `split at ${cut}`);
  }
});

test('corrupt bytes are recorded and skipped; the next frame puts the screen right', () => {
  const lcd = new LcdDevice({ rows: 2, columns: 16 });
  lcd.receive(lcdInit(4));
  lcd.receive(Buffer.from([0x1f, 0x24, 30, 1])); // column 30 of 16
  lcd.receive(Buffer.from([0x1b, 0x63])); // unknown ESC
  lcd.receive(Buffer.from([0xb0, 0x0a])); // broken GB18030 pair
  lcd.receive(Buffer.from([0x1f, 0x58, 9])); // brightness 9
  lcd.receive(Buffer.from([0x05])); // ENQ
  assert.equal(lcd.problems.map((p) => p.code), ['bad_argument', 'unknown_command', 'bad_text', 'bad_argument', 'unknown_command']);
  assert.is(lcd.problems[0]!.bytes, '1f241e01');
  lcd.receive(lcdFrame(['票已用完', 'Used 09:12']));
  assert.equal(lcd.lines, ['票已用完', 'Used 09:12']);
});

test('random garbage never throws and never leaves the screen unusable', () => {
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let round = 0; round < 500; round++) {
    const lcd = new LcdDevice({ rows: 2, columns: 20 });
    const noise = Buffer.from(Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256)));
    lcd.receive(noise);
    // The tail of the noise may be half a command; the driver's next frame starts with CLR after it.
    lcd.receive(Buffer.from([0x20, 0x20, 0x20]));
    lcd.receive(lcdFrame(['检票成功', 'OK']));
    assert.equal(lcd.lines, ['检票成功', 'OK'], `round ${round}`);
  }
});

test('wide characters at a row end wrap whole; overwriting half of one blanks the other half', () => {
  const lcd = new LcdDevice({ rows: 2, columns: 5 });
  lcd.receive(Buffer.concat([Buffer.from([0x1c, 0x26]), iconv.encode('ab欢迎', 'gb18030')]));
  assert.equal(lcd.lines, ['ab欢', '迎']);
  lcd.receive(Buffer.from([0x1f, 0x24, 4, 1, 0x78]));
  assert.equal(lcd.lines, ['ab x', '迎']);
});

test('driver: show, timed return to idle, setIdle, stop blanks the screen', async () => {
  const timers = new FakeTimers();
  const lcd = new LcdDevice({ rows: 2, columns: 16 });
  const cable = new LcdCable(lcd);
  const display = new SerialLcdDisplay({ path: 'cable', line: cable, rows: 2, columns: 16, idle: ['欢迎光临', 'Welcome'], timers });
  await display.start();
  assert.equal(lcd.lines, ['欢迎光临', 'Welcome']);
  await display.show(['票已使用 Ticket already used', 'Used 09:12'], { forMs: 3000, tone: 'error' });
  assert.equal(lcd.lines, ['票已使用 Ticket', 'Used 09:12']);
  assert.equal(lcd.lines, display.lines);
  assert.is(display.tone, 'error');
  timers.advance(3000);
  await new Promise((r) => setImmediate(r));
  assert.equal(lcd.lines, ['欢迎光临', 'Welcome']);
  display.setIdle(['暂停服务', 'Closed']);
  await new Promise((r) => setImmediate(r));
  assert.equal(lcd.lines, ['暂停服务', 'Closed']);
  await display.stop();
  assert.equal(lcd.lines, []);
  assert.is(timers.pendingCount, 0);
  assert.equal(lcd.problems, []);
});

test('driver: refuses what the port refuses; a failed write rejects, the next open redraws', async () => {
  const lcd = new LcdDevice();
  const cable = new LcdCable(lcd);
  const display = new SerialLcdDisplay({ path: 'cable', line: cable });
  const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: DeviceError) => e.code);
  assert.is(await code(display.show(['x'])), 'not_started');
  await display.start();
  assert.is(await code(display.show('x' as unknown as string[])), 'invalid_argument');
  const errors: Error[] = [];
  display.on('error', (e) => errors.push(e));
  cable.failWrites = true;
  assert.is(await code(display.show(['检票成功'])), 'serial_unavailable');
  cable.failWrites = false;
  lcd.receive(Buffer.from([0x0c]));
  await cable.start(); // the port came back: init and the text that should be shown
  await new Promise((r) => setImmediate(r));
  assert.equal(lcd.lines, ['检票成功']);
  await display.stop();
});

test('through a real pseudo-terminal pair, also after the cable is pulled and put back', async () => {
  const pty = await openPtyPair();
  const lcd = new LcdDevice({ rows: 2, columns: 20 });
  const far = new SerialLine({ path: pty.b, baudRate: 9600, reconnectMs: 50 });
  far.on('data', (chunk) => lcd.receive(chunk));
  far.on('error', () => undefined);
  const display = await createDisplay({ driver: 'serial-lcd', path: pty.a, rows: 2, columns: 20 }, {}) as SerialLcdDisplay;
  display.setIdle(['欢迎光临']);
  display.on('error', () => undefined);
  const until = async (want: string[]) => {
    const end = Date.now() + 5000;
    while (JSON.stringify(lcd.lines) !== JSON.stringify(want)) {
      if (Date.now() > end) throw new Error(`screen ${JSON.stringify(lcd.lines)}, wanted ${JSON.stringify(want)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await far.start();
    await display.start();
    await until(['欢迎光临']);
    await display.show(['检票成功 请通行', '成人票 2人 Adult x2']);
    await until(['检票成功 请通行', '成人票 2人 Adult x2']);
    assert.equal(lcd.problems, []);
    await pty.reopen();
    lcd.receive(Buffer.from([0x0c])); // a display that lost power comes back blank
    await until(['检票成功 请通行', '成人票 2人 Adult x2']);
  } finally {
    await display.stop();
    await far.stop();
    await pty.close();
  }
});

test('config: the serial LCD takes path, baud rate and brightness; bad keys named', () => {
  assert.equal(displayConfigSchema.parse({ driver: 'serial-lcd', path: '/dev/ttyUSB1' }), { driver: 'serial-lcd', rows: 4, columns: 20, path: '/dev/ttyUSB1', baudRate: 9600, brightness: 4 });
  const paths = (input: unknown) => displayConfigSchema.safeParse(input).error?.issues.map((i) => i.path.join('.'));
  assert.equal(paths({ driver: 'serial-lcd' }), ['path']);
  assert.equal(paths({ driver: 'serial-lcd', path: 'x', brightness: 5 }), ['brightness']);
});

test.run();
