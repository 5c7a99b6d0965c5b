import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { ObservableFirmata } from '../gpio/mock-firmata-io.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import { createTurnstile } from './create.ts';
import { FirmataTurnstile, type FirmataTurnstileOptions } from './firmata.ts';
import type { PassageEvent } from './port.ts';

const PINS = { openIn: 4, openOut: 5, passage: 6, emergency: 7, alarm: 8 };
const OUTPUT = 1;
const INPUT = 0;
const PULLUP = 0x0b;

function setup(options: Partial<FirmataTurnstileOptions> = {}, io = new ObservableFirmata()) {
  const timers = new FakeTimers(1_000_000);
  const turnstile = new FirmataTurnstile({ pins: PINS, io, timers, debounceMs: 20, pulseMs: 300, readyTimeoutMs: 500, ...options });
  const passages: PassageEvent[] = [];
  const emergencies: boolean[] = [];
  const alarms: boolean[] = [];
  const errors: Error[] = [];
  turnstile.on('passage', (p) => passages.push(p));
  turnstile.on('emergency', (e) => emergencies.push(e.active));
  turnstile.on('alarm', (e) => alarms.push(e.active));
  turnstile.on('error', (e) => errors.push(e));
  const walk = (active: 0 | 1 = 1) => {
    io.drive(PINS.passage, active);
    timers.advance(25);
    io.drive(PINS.passage, active === 1 ? 0 : 1);
    timers.advance(25);
  };
  return { io, timers, turnstile, passages, emergencies, alarms, errors, walk };
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

test('start sets pin modes, drives outputs inactive and switches on input reports', async () => {
  const { io, turnstile } = setup();
  await turnstile.start();
  assert.is(io.pins[PINS.openIn]!.mode, OUTPUT);
  assert.is(io.pins[PINS.openOut]!.mode, OUTPUT);
  for (const pin of [PINS.passage, PINS.emergency, PINS.alarm]) assert.is(io.pins[pin]!.mode, INPUT);
  assert.equal(io.writes, [
    [PINS.openIn, 0],
    [PINS.openOut, 0],
  ]);
  assert.equal([...io.reporting].sort(), [PINS.passage, PINS.emergency, PINS.alarm].sort());
  await turnstile.stop();
  assert.equal([...io.reporting], [], 'reports switched off on stop');
  assert.is(io.listenerCount(`digital-read-${PINS.passage}`), 0);
});

test('open(in, 2) drives openIn high, counts two passages, closes after the minimum hold', async () => {
  const { io, timers, turnstile, passages, walk, errors } = setup();
  await turnstile.start();
  io.writes.length = 0;
  const done = turnstile.open('in', 2, 5000);
  assert.equal(io.writes, [[PINS.openIn, 1]]);
  walk();
  walk();
  assert.equal(await done, { passed: 2 });
  assert.equal(passages, [
    { direction: 'in', authorized: true },
    { direction: 'in', authorized: true },
  ]);
  assert.equal(io.writes, [[PINS.openIn, 1]]);
  timers.advance(300);
  assert.equal(io.writes, [
    [PINS.openIn, 1],
    [PINS.openIn, 0],
  ]);
  assert.equal(errors, []);
  await turnstile.stop();
});

test('timeout gives back unused passages; a passage with no release is unauthorized', async () => {
  const { io, timers, turnstile, passages, walk } = setup();
  await turnstile.start();
  const done = turnstile.open('out', 3, 1000);
  walk();
  timers.advance(1000);
  assert.equal(await done, { passed: 1 });
  walk();
  assert.equal(passages, [
    { direction: 'out', authorized: true },
    { direction: null, authorized: false },
  ]);
  assert.is(io.levels.get(PINS.openOut), 0);
  await turnstile.stop();
});

test('bounce on the passage sensor counts once', async () => {
  const { io, timers, turnstile, passages } = setup();
  await turnstile.start();
  for (const level of [1, 0, 1, 0, 1] as const) {
    io.drive(PINS.passage, level);
    timers.advance(5);
  }
  timers.advance(25);
  assert.is(passages.length, 1);
  await turnstile.stop();
});

test('emergency and alarm inputs are reported, debounced; emergency open holds both outputs', async () => {
  const { io, timers, turnstile, emergencies, alarms } = setup();
  await turnstile.start();
  io.drive(PINS.alarm, 1);
  timers.advance(25);
  io.drive(PINS.emergency, 1);
  io.drive(PINS.emergency, 0);
  io.drive(PINS.emergency, 1);
  timers.advance(25);
  io.drive(PINS.alarm, 0);
  timers.advance(25);
  assert.equal(alarms, [true, false]);
  assert.equal(emergencies, [true]);
  await turnstile.setEmergencyOpen(true);
  assert.is(io.levels.get(PINS.openIn), 1);
  assert.is(io.levels.get(PINS.openOut), 1);
  assert.equal(turnstile.state, { emergencyOpen: true, busy: false });
  await turnstile.stop();
  assert.is(io.levels.get(PINS.openIn), 0, 'stop() closes at once');
  assert.is(io.levels.get(PINS.openOut), 0);
});

test('a gate that starts during an alarm learns of it from the first report', async () => {
  const io = new ObservableFirmata();
  io.levels.set(PINS.alarm, 0);
  io.levels.set(PINS.emergency, 0);
  const { turnstile, alarms, emergencies } = setup({ activeLow: true, pullup: true }, io);
  await turnstile.start();
  assert.equal(alarms, [true]);
  assert.equal(emergencies, [true]);
  assert.is(io.pins[PINS.passage]!.mode, PULLUP);
  // Active low: outputs idle high.
  assert.equal(io.writes.slice(0, 2), [
    [PINS.openIn, 1],
    [PINS.openOut, 1],
  ]);
  await turnstile.stop();
});

test('errors: not started, busy, a pin the board lacks, a board that never answers', async () => {
  const { turnstile } = setup();
  await rejectsWith(turnstile.open('in', 1), 'not_started');
  await turnstile.start();
  const first = turnstile.open('in', 1, 1000);
  await rejectsWith(turnstile.open('in', 1), 'busy');
  await turnstile.stop();
  assert.equal(await first, { passed: 0 });

  const missing = setup({ pins: { ...PINS, alarm: 40 } });
  await rejectsWith(missing.turnstile.start(), 'not_wired');
  assert.equal([...missing.io.reporting], [], 'inputs set up before the failure are released');

  const dead = setup({ readyTimeoutMs: 200 }, new ObservableFirmata({ ready: false }));
  await rejectsWith(dead.turnstile.start(), 'firmata_unavailable');

  const silent = setup({ readyTimeoutMs: 200 }, new ObservableFirmata({ silentInputs: true }));
  await rejectsWith(silent.turnstile.start(), 'firmata_unavailable');
  assert.equal([...silent.io.reporting], []);
});

test('a board that drops off the USB while running is an error event; after stop() it is not', async () => {
  const { io, turnstile, errors } = setup();
  await turnstile.start();
  io.emit('disconnect');
  assert.is(errors.length, 1);
  assert.is((errors[0] as DeviceError).code, 'firmata_unavailable');
  assert.match(errors[0]!.message, /disconnected/);
  await turnstile.stop();
  io.emit('close');
  assert.is(errors.length, 1);
});

test('factory: firmata driver from config, with the board injected', async () => {
  const io = new ObservableFirmata();
  const turnstile = await createTurnstile({ driver: 'firmata', port: '/dev/ttyACM0', pins: { openIn: 2, passage: 3 } }, { firmataIo: io });
  assert.instance(turnstile, FirmataTurnstile);
  await turnstile.start();
  const done = turnstile.open('in', 1, 1000);
  assert.is(io.levels.get(2), 1);
  io.drive(3, 1);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(await done, { passed: 1 });
  await turnstile.stop();
  try {
    await createTurnstile({ driver: 'firmata', pins: { openIn: 2, passage: 3 } } as never);
    assert.unreachable();
  } catch (error) {
    assert.match(String(error), /port/);
  }
});

test.run();
