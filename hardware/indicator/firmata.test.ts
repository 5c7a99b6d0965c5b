import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ObservableFirmata } from '../gpio/mock-firmata-io.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import { createIndicator } from './create.ts';
import { FirmataIndicator } from './firmata.ts';

const PINS = { red: 9, green: 10, buzzer: 11 };

test('lights and buzzer on Firmata pins: modes, writes, timed patterns, release', async () => {
  const io = new ObservableFirmata();
  const timers = new FakeTimers(0);
  const indicator = await createIndicator({ driver: 'firmata', port: '/dev/ttyACM0', pins: PINS, idle: 'red' }, { firmataIo: io, timers });
  assert.instance(indicator, FirmataIndicator);
  await indicator.start();
  for (const pin of Object.values(PINS)) assert.is(io.pins[pin]!.mode, 1);
  assert.is(io.levels.get(PINS.red), 1);
  assert.is(io.levels.get(PINS.green), 0);
  io.writes.length = 0;
  await indicator.show('green', { forMs: 2000 });
  await indicator.beep('ok');
  assert.equal(io.writes, [
    [PINS.red, 0],
    [PINS.green, 1],
    [PINS.buzzer, 1],
  ]);
  timers.advance(120);
  assert.is(io.levels.get(PINS.buzzer), 0);
  timers.advance(1880);
  assert.is(io.levels.get(PINS.red), 1, 'back to the idle light');
  assert.is(io.levels.get(PINS.green), 0);
  await indicator.show('yellow', { blink: true });
  assert.is(io.levels.get(PINS.red), 1);
  assert.is(io.levels.get(PINS.green), 1);
  timers.advance(400);
  assert.is(io.levels.get(PINS.red), 0);
  assert.is(io.levels.get(PINS.green), 0);
  await indicator.stop();
  assert.is(timers.pendingCount, 0);
  for (const pin of Object.values(PINS)) assert.is(io.levels.get(pin), 0);
});

test('a Firmata board that never answers fails start() with firmata_unavailable', async () => {
  const indicator = new FirmataIndicator({ pins: PINS, io: new ObservableFirmata({ ready: false }), readyTimeoutMs: 150 });
  try {
    await indicator.start();
    assert.unreachable();
  } catch (error) {
    assert.is((error as { code?: string }).code, 'firmata_unavailable');
  }
});

test.run();
