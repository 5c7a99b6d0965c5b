import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import type { GpioDirection, GpioEdge, GpioLevel } from '../gpio/binding.ts';
import { FakeGpio as FakeBoard, type FakeGpioLine } from '../gpio/fake-gpio.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import { GpioTurnstile, type GpioTurnstileOptions } from './gpio.ts';
import type { PassageEvent } from './port.ts';

const PINS = { openIn: 17, openOut: 27, passage: 22, emergency: 23 };

function setup(options: Partial<GpioTurnstileOptions> & { idleInput?: GpioLevel } = {}) {
  const timers = new FakeTimers(1_000_000);
  const board = new FakeBoard(options.idleInput ?? 0);
  const turnstile = new GpioTurnstile({ pins: PINS, gpio: board.factory, timers, debounceMs: 20, pulseMs: 300, ...options });
  const passages: PassageEvent[] = [];
  const emergencies: boolean[] = [];
  turnstile.on('passage', (p) => passages.push(p));
  turnstile.on('emergency', (e) => emergencies.push(e.active));
  /** A person walks through: the sensor goes active, then idle, each level held past the debounce. */
  const walk = (active: GpioLevel = 1) => {
    board.set(PINS.passage, active);
    timers.advance(25);
    board.set(PINS.passage, active === 1 ? 0 : 1);
    timers.advance(25);
  };
  return { timers, board, turnstile, passages, emergencies, walk };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, DeviceError);
    assert.is((error as DeviceError).code, code);
    return;
  }
  assert.unreachable(`expected a rejection with ${code}`);
}

test('exports outputs at their inactive level and watches both input edges', async () => {
  const { board, turnstile } = setup();
  await turnstile.start();
  assert.is(board.line(PINS.openIn).direction, 'low');
  assert.is(board.line(PINS.openOut).direction, 'low');
  assert.is(board.line(PINS.passage).direction, 'in');
  assert.is(board.line(PINS.passage).edge, 'both');
  assert.is(board.line(PINS.emergency).edge, 'both');
  assert.equal(board.writes, []);
  await turnstile.stop();
});

test('open(in, 2) holds openIn active, counts two passages, then closes', async () => {
  const { board, timers, turnstile, passages, walk } = setup();
  await turnstile.start();
  const done = turnstile.open('in', 2, 5000);
  assert.equal(board.writes, [[PINS.openIn, 1]]);
  assert.equal(turnstile.state, { emergencyOpen: false, busy: true });
  walk();
  assert.is(passages.length, 1);
  walk();
  assert.equal(await done, { passed: 2 });
  assert.equal(passages, [
    { direction: 'in', authorized: true },
    { direction: 'in', authorized: true },
  ]);
  assert.is(turnstile.state.busy, false);
  // 100 ms after release the output is still within its minimum hold.
  assert.equal(board.writes, [[PINS.openIn, 1]]);
  timers.advance(200);
  assert.equal(board.writes, [
    [PINS.openIn, 1],
    [PINS.openIn, 0],
  ]);
  assert.is(board.line(PINS.openOut).value, 0);
  await turnstile.stop();
});

test('the minimum hold does not delay a close that comes later anyway', async () => {
  const { board, timers, turnstile } = setup();
  await turnstile.start();
  const done = turnstile.open('out', 1, 1000);
  assert.equal(board.writes, [[PINS.openOut, 1]]);
  timers.advance(1000);
  assert.equal(await done, { passed: 0 });
  assert.equal(board.writes, [
    [PINS.openOut, 1],
    [PINS.openOut, 0],
  ]);
  await turnstile.stop();
});

test('timeout gives back unused passages; the timer restarts after each passage', async () => {
  const { board, timers, turnstile, walk } = setup();
  await turnstile.start();
  const done = turnstile.open('in', 3, 1000);
  timers.advance(900);
  walk(); // at 900..950: restarts the 1000 ms wait
  timers.advance(900);
  assert.is(turnstile.state.busy, true);
  timers.advance(200);
  assert.equal(await done, { passed: 1 });
  assert.is(board.line(PINS.openIn).value, 0);
  assert.is(turnstile.state.busy, false);
  await turnstile.stop();
});

test('bouncing edges within debounceMs count once', async () => {
  const { board, timers, turnstile, passages } = setup();
  await turnstile.start();
  const done = turnstile.open('in', 2, 5000);
  for (const level of [1, 0, 1, 0, 1] as const) {
    board.set(PINS.passage, level);
    timers.advance(3);
  }
  timers.advance(20);
  assert.is(passages.length, 1);
  for (const level of [0, 1, 0] as const) {
    board.set(PINS.passage, level);
    timers.advance(3);
  }
  timers.advance(20);
  // A glitch that settles back on the old level is no edge at all.
  board.set(PINS.passage, 1);
  timers.advance(3);
  board.set(PINS.passage, 0);
  timers.advance(30);
  assert.is(passages.length, 1);
  assert.is(turnstile.state.busy, true);
  await turnstile.stop();
  assert.equal(await done, { passed: 1 });
});

test('activeLow inverts every line', async () => {
  const { board, timers, turnstile, passages, emergencies, walk } = setup({ activeLow: true, idleInput: 1 });
  await turnstile.start();
  assert.is(board.line(PINS.openIn).direction, 'high');
  assert.equal(emergencies, []);
  const done = turnstile.open('in', 1, 5000);
  assert.equal(board.writes, [[PINS.openIn, 0]]);
  walk(0);
  assert.equal(await done, { passed: 1 });
  assert.is(passages.length, 1);
  timers.advance(300);
  assert.equal(board.writes, [
    [PINS.openIn, 0],
    [PINS.openIn, 1],
  ]);
  board.set(PINS.emergency, 0);
  timers.advance(25);
  assert.equal(emergencies, [true]);
  await turnstile.stop();
});

test('emergency input edges emit emergency events', async () => {
  const { board, timers, turnstile, emergencies } = setup();
  await turnstile.start();
  board.set(PINS.emergency, 1);
  timers.advance(25);
  board.set(PINS.emergency, 0);
  timers.advance(25);
  assert.equal(emergencies, [true, false]);
  // The driver only reports; the leaves stay as they were.
  assert.equal(board.writes, []);
  await turnstile.stop();
});

test('a gate booting during an alarm reports it from start()', async () => {
  const board = new FakeBoard();
  // Inputs read 0 when exported, so raise the alarm line as soon as it exists.
  const gpio = (pin: number, direction: GpioDirection, edge?: GpioEdge) => {
    const line = board.factory(pin, direction, edge);
    if (pin === PINS.emergency) (line as FakeGpioLine).value = 1;
    return line;
  };
  const turnstile = new GpioTurnstile({ pins: PINS, gpio, timers: new FakeTimers() });
  const emergencies: boolean[] = [];
  turnstile.on('emergency', (e) => emergencies.push(e.active));
  await turnstile.start();
  assert.equal(emergencies, [true]);
  await turnstile.stop();
});

test('setEmergencyOpen holds the outputs active across a release', async () => {
  const { board, timers, turnstile, passages, walk } = setup();
  await turnstile.start();
  await turnstile.setEmergencyOpen(true);
  assert.equal(turnstile.state, { emergencyOpen: true, busy: false });
  assert.equal(board.writes, [
    [PINS.openIn, 1],
    [PINS.openOut, 1],
  ]);
  walk();
  assert.equal(passages, [{ direction: null, authorized: false }]);
  const done = turnstile.open('in', 1, 5000);
  walk();
  assert.equal(await done, { passed: 1 });
  timers.advance(1000);
  assert.is(board.writes.length, 2, 'still held open after the release ended');
  await turnstile.setEmergencyOpen(false);
  assert.equal(board.writes.slice(2), [
    [PINS.openIn, 0],
    [PINS.openOut, 0],
  ]);
  await turnstile.stop();
});

test('a passage with no release waiting is reported as unauthorized', async () => {
  const { turnstile, passages, walk } = setup();
  await turnstile.start();
  walk();
  assert.equal(passages, [{ direction: null, authorized: false }]);
  await turnstile.stop();
});

test('stop() ends the waiting release, closes, unwatches and unexports everything', async () => {
  const { board, timers, turnstile, walk } = setup();
  await turnstile.start();
  await turnstile.setEmergencyOpen(true);
  const done = turnstile.open('in', 3, 5000);
  walk();
  board.set(PINS.passage, 1); // a debounce timer is pending
  await turnstile.stop();
  assert.equal(await done, { passed: 1 });
  for (const line of board.lines.values()) {
    assert.ok(line.unexported, `pin ${line.pin} unexported`);
    assert.is(line.watchers.size, 0);
  }
  assert.is(board.line(PINS.openIn).value, 0);
  assert.is(board.line(PINS.openOut).value, 0);
  assert.is(timers.pendingCount, 0);
  assert.equal(turnstile.state, { emergencyOpen: false, busy: false });
  // Started again, it exports fresh lines.
  await turnstile.start();
  assert.not.ok(board.line(PINS.openIn).unexported);
  await turnstile.stop();
});

test('refuses open() when stopped, busy, unwired or given bad arguments', async () => {
  const { turnstile } = setup({ pins: { openIn: 17, passage: 22 } });
  await rejectsWith(turnstile.open('in', 1), 'not_started');
  await turnstile.start();
  await rejectsWith(turnstile.open('out', 1), 'not_wired');
  await rejectsWith(turnstile.open('in', 0), 'invalid_argument');
  await rejectsWith(turnstile.open('in', 1.5), 'invalid_argument');
  await rejectsWith(turnstile.open('in', 1, 0), 'invalid_argument');
  const first = turnstile.open('in', 1);
  await rejectsWith(turnstile.open('in', 1), 'busy');
  await turnstile.stop();
  assert.equal(await first, { passed: 0 });
});

test('a failing start() lets go of the lines it had already exported', async () => {
  const board = new FakeBoard();
  const gpio = (pin: number, direction: GpioDirection, edge?: GpioEdge) => {
    if (pin === PINS.passage) throw new Error('EBUSY');
    return board.factory(pin, direction, edge);
  };
  const turnstile = new GpioTurnstile({ pins: PINS, gpio });
  try {
    await turnstile.start();
    assert.unreachable('start() should fail');
  } catch (error) {
    assert.is((error as Error).message, 'EBUSY');
  }
  assert.ok(board.line(PINS.openIn).unexported);
  assert.ok(board.line(PINS.openOut).unexported);
  await rejectsWith(turnstile.open('in', 1), 'not_started');
});

test('a read error on an input is emitted as error', async () => {
  const { board, turnstile } = setup();
  const errors: Error[] = [];
  turnstile.on('error', (e) => errors.push(e));
  await turnstile.start();
  for (const watcher of board.line(PINS.passage).watchers) watcher(new Error('EIO'), 0);
  assert.is(errors[0]?.message, 'EIO');
  await turnstile.stop();
});

test('the alarm input is debounced and reported, including an alarm already active at start', async () => {
  const timers = new FakeTimers(0);
  const board = new FakeBoard(0);
  const pins = { ...PINS, alarm: 24 };
  const turnstile = new GpioTurnstile({ pins, gpio: board.factory, timers, debounceMs: 20 });
  const alarms: boolean[] = [];
  turnstile.on('alarm', (e) => alarms.push(e.active));
  await turnstile.start();
  assert.is(board.line(24).edge, 'both');
  board.set(24, 1);
  board.set(24, 0);
  board.set(24, 1);
  timers.advance(25);
  board.set(24, 0);
  timers.advance(25);
  assert.equal(alarms, [true, false]);
  await turnstile.stop();
  assert.ok(board.line(24).unexported);

  const busy = new FakeBoard(1);
  const atBoot = new GpioTurnstile({ pins, gpio: busy.factory, timers, activeLow: false });
  const seen: boolean[] = [];
  atBoot.on('alarm', (e) => seen.push(e.active));
  atBoot.on('emergency', () => {});
  await atBoot.start();
  assert.equal(seen, [true]);
  await atBoot.stop();
  assert.is(timers.pendingCount, 0);
});

test.run();
