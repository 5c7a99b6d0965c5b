import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeviceError } from '../errors.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import type { DisplayTone } from './port.ts';
import { SimDisplay, type SimDisplayOptions } from './sim.ts';

function setup(options: SimDisplayOptions = {}) {
  const timers = new FakeTimers();
  const display = new SimDisplay({ timers, ...options });
  return { timers, display };
}

const ops = (d: SimDisplay) => d.history.map(({ at: _at, ...rest }) => rest);
const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: DeviceError) => e.code);

test('start shows the idle text, stop clears the display', async () => {
  const { display } = setup({ idle: ['欢迎光临', 'Welcome'] });
  assert.equal(display.lines, []);
  await display.start();
  assert.equal(display.lines, ['欢迎光临', 'Welcome']);
  await display.stop();
  assert.equal(display.lines, []);
});

test('show fits the text to rows and columns, counting Chinese as two columns', async () => {
  const { display } = setup({ rows: 2, columns: 16 });
  await display.start();
  await display.show(['票已使用 Ticket already used', 'Used 09:12'], { tone: 'error' });
  assert.equal(display.lines, ['票已使用 Ticket', 'Used 09:12']);
  assert.is(display.tone, 'error');
  assert.equal(ops(display).at(-1), { op: 'show', lines: ['票已使用 Ticket', 'Used 09:12'], tone: 'error' });
  await display.stop();
});

test('show with forMs returns to the idle text afterwards', async () => {
  const { timers, display } = setup({ idle: ['Welcome'] });
  await display.start();
  await display.show(['OK', '2 persons'], { forMs: 3000, tone: 'ok' });
  timers.advance(2999);
  assert.equal(display.lines, ['OK', '2 persons']);
  timers.advance(1);
  assert.equal(display.lines, ['Welcome']);
  assert.is(display.tone, 'info');
  assert.equal(display.history.map((r) => r.at), [0, 0, 3000]);
  assert.equal(ops(display).slice(1), [
    { op: 'show', lines: ['OK', '2 persons'], tone: 'ok', forMs: 3000 },
    { op: 'revert', lines: ['Welcome'] },
  ]);
  await display.stop();
});

test('a new show replaces a timed one; without forMs the text is held', async () => {
  const { timers, display } = setup({ idle: ['Welcome'] });
  await display.start();
  await display.show(['first'], { forMs: 3000 });
  timers.advance(1000);
  await display.show(['second'], { forMs: 500 });
  timers.advance(500);
  assert.equal(display.lines, ['Welcome']);
  timers.advance(5000);
  assert.is(ops(display).filter((o) => o.op === 'revert').length, 1, 'the replaced timer never fires');
  await display.show(['Gate closed']);
  timers.advance(60_000);
  assert.equal(display.lines, ['Gate closed']);
  await display.stop();
});

test('setIdle applies at once unless a timed show is running, then when it ends', async () => {
  const { timers, display } = setup({ columns: 16 });
  display.setIdle(['欢迎光临', 'Welcome']);
  await display.start();
  assert.equal(display.lines, ['欢迎光临', 'Welcome']);
  await display.show(['OK'], { forMs: 1000 });
  display.setIdle(['紧急疏散 Emergency exit, please leave']);
  assert.equal(display.lines, ['OK']);
  timers.advance(1000);
  assert.equal(display.lines, ['紧急疏散', 'Emergency exit,', 'please leave']);
  await display.show(['held']);
  display.setIdle(['Welcome']);
  assert.equal(display.lines, ['Welcome'], 'a mode change replaces held text');
  const lines = display.lines;
  lines.push('mutated');
  assert.equal(display.lines, ['Welcome'], 'lines is a copy');
  await display.stop();
});

test('stop() cancels the return to idle', async () => {
  const { timers, display } = setup();
  await display.start();
  await display.show(['OK'], { forMs: 1000 });
  await display.stop();
  assert.is(timers.pendingCount, 0);
});

test('refuses what a hardware driver refuses', async () => {
  const { display } = setup();
  assert.is(await code(display.show(['early'])), 'not_started');
  await display.start();
  assert.is(await code(display.show('text' as unknown as string[])), 'invalid_argument');
  assert.is(await code(display.show([1] as unknown as string[])), 'invalid_argument');
  assert.is(await code(display.show(['x'], { forMs: -1 })), 'invalid_argument');
  assert.is(await code(display.show(['x'], { tone: 'warn' as DisplayTone })), 'invalid_argument');
  assert.throws(() => display.setIdle([null] as unknown as string[]), (e: DeviceError) => e.code === 'invalid_argument');
  assert.equal(display.lines, []);
  await display.stop();
});

test('history keeps the newest records up to its limit', () => {
  const { display } = setup({ historyLimit: 2 });
  for (const text of ['a', 'b', 'c']) display.setIdle([text]);
  assert.equal(ops(display), [
    { op: 'idle', lines: ['b'] },
    { op: 'idle', lines: ['c'] },
  ]);
});

test.run();
