import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { FakeGpio } from '../gpio/fake-gpio.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import { createIndicator } from './create.ts';
import { GpioIndicator, type GpioIndicatorOptions } from './gpio.ts';

const PINS = { red: 10, green: 11, yellow: 12, buzzer: 13 };

async function setup(options: Partial<GpioIndicatorOptions> = {}) {
  const timers = new FakeTimers(0);
  const gpio = new FakeGpio();
  const indicator = new GpioIndicator({ pins: PINS, gpio: gpio.factory, timers, blinkMs: 400, ...options });
  const errors: Error[] = [];
  indicator.on('error', (e) => errors.push(e));
  await indicator.start();
  const pins = options.pins ?? PINS;
  /** Which lamps are lit and whether the buzzer sounds, read from the line levels. */
  const lit = () => {
    const on = (pin: number | undefined) => pin !== undefined && gpio.line(pin).value === (options.activeLow ? 0 : 1);
    return { red: on(pins.red), green: on(pins.green), yellow: on(pins.yellow), buzzer: on(pins.buzzer) };
  };
  return { timers, gpio, indicator, errors, lit };
}

const DARK = { red: false, green: false, yellow: false, buzzer: false };

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

test('outputs start inactive; the idle light shows at start', async () => {
  const { gpio, lit, indicator } = await setup({ idle: 'red' });
  for (const pin of Object.values(PINS)) assert.is(gpio.line(pin).direction, 'low');
  assert.equal(lit(), { ...DARK, red: true });
  assert.equal(indicator.state, { light: 'red', blinking: false, beeping: null });
  await indicator.stop();
});

test('show() drives one lamp; forMs returns to idle', async () => {
  const { timers, lit, indicator } = await setup();
  await indicator.show('green', { forMs: 1000 });
  assert.equal(lit(), { ...DARK, green: true });
  timers.advance(999);
  assert.is(indicator.state.light, 'green');
  timers.advance(1);
  assert.equal(lit(), DARK);
  assert.equal(indicator.state, { light: 'off', blinking: false, beeping: null });
  await indicator.show('yellow');
  assert.equal(lit(), { ...DARK, yellow: true });
  await indicator.stop();
});

test('without a yellow lamp, yellow is red and green together', async () => {
  const { lit, indicator } = await setup({ pins: { red: 1, green: 2, buzzer: 3 } });
  await indicator.show('yellow');
  assert.equal(lit(), { ...DARK, red: true, green: true });
  await indicator.show('red');
  assert.equal(lit(), { ...DARK, red: true });
  await indicator.stop();
});

test('blink toggles the lamp every blinkMs until another show()', async () => {
  const { timers, lit, indicator } = await setup();
  await indicator.show('red', { blink: true });
  const seen: boolean[] = [];
  for (let i = 0; i < 4; i++) {
    seen.push(lit().red);
    timers.advance(400);
  }
  assert.equal(seen, [true, false, true, false]);
  assert.equal(indicator.state, { light: 'red', blinking: true, beeping: null });
  await indicator.show('green');
  timers.advance(2000);
  assert.equal(lit(), { ...DARK, green: true });
  await indicator.stop();
  assert.is(timers.pendingCount, 0);
});

test('beep patterns follow BEEP_TIMINGS; alarm sounds until silence()', async () => {
  const { timers, gpio, lit, indicator } = await setup();
  gpio.writes.length = 0;
  await indicator.beep('error');
  const buzzer = () => gpio.writes.filter(([pin]) => pin === PINS.buzzer).map(([, v]) => v);
  assert.equal(indicator.state.beeping, 'error');
  timers.advance(120);
  timers.advance(80);
  timers.advance(120);
  timers.advance(80);
  assert.equal(indicator.state.beeping, 'error');
  timers.advance(120);
  assert.equal(buzzer(), [1, 0, 1, 0, 1, 0]);
  assert.is(indicator.state.beeping, null);

  await indicator.beep('alarm');
  timers.advance(60_000);
  assert.ok(lit().buzzer);
  assert.is(indicator.state.beeping, 'alarm');
  await indicator.beep('ok');
  timers.advance(60);
  assert.ok(lit().buzzer, 'a new pattern replaces the alarm');
  timers.advance(60);
  assert.not.ok(lit().buzzer);
  await indicator.beep('alarm');
  await indicator.silence();
  assert.not.ok(lit().buzzer);
  assert.is(indicator.state.beeping, null);
  await indicator.stop();
});

test('setIdle takes effect at once, or after a timed show', async () => {
  const { timers, lit, indicator } = await setup();
  indicator.setIdle('red');
  assert.equal(lit(), { ...DARK, red: true });
  await indicator.show('green', { forMs: 500 });
  indicator.setIdle('yellow');
  assert.equal(lit(), { ...DARK, green: true });
  timers.advance(500);
  assert.equal(lit(), { ...DARK, yellow: true });
  await indicator.stop();
});

test('active-low lines; stop() leaves every line inactive and unexported', async () => {
  const { gpio, lit, indicator, timers } = await setup({ activeLow: true });
  for (const pin of Object.values(PINS)) assert.is(gpio.line(pin).direction, 'high');
  await indicator.show('green', { blink: true, forMs: 5000 });
  await indicator.beep('alarm');
  assert.equal(lit(), { ...DARK, green: true, buzzer: true });
  await indicator.stop();
  for (const pin of Object.values(PINS)) {
    assert.is(gpio.line(pin).value, 1);
    assert.ok(gpio.line(pin).unexported);
  }
  assert.is(timers.pendingCount, 0);
  assert.equal(indicator.state, { light: 'off', blinking: false, beeping: null });
});

test('errors: not started, bad arguments, no buzzer', async () => {
  const gpio = new FakeGpio();
  const idle = new GpioIndicator({ pins: PINS, gpio: gpio.factory });
  await rejectsWith(idle.show('red'), 'not_started');
  await rejectsWith(idle.beep('ok'), 'not_started');
  const { indicator } = await setup({ pins: { red: 1, green: 2 } });
  await rejectsWith(indicator.show('blue' as 'red'), 'invalid_argument');
  await rejectsWith(indicator.show('red', { forMs: -1 }), 'invalid_argument');
  await rejectsWith(indicator.beep('ok'), 'not_wired');
  await indicator.stop();
});

test('a line written after it broke: errors on timers become error events', async () => {
  const { timers, gpio, indicator, errors } = await setup();
  await indicator.show('red', { blink: true });
  gpio.line(PINS.red).unexported = true;
  timers.advance(400);
  assert.is(errors.length, 1);
  assert.match(errors[0]!.message, /written after unexport/);
  gpio.line(PINS.red).unexported = false;
  await indicator.stop();
});

test('a pin that cannot be exported leaves nothing exported', async () => {
  const gpio = new FakeGpio();
  gpio.failing.add(PINS.buzzer);
  const indicator = new GpioIndicator({ pins: PINS, gpio: gpio.factory, timers: new FakeTimers() });
  try {
    await indicator.start();
    assert.unreachable();
  } catch (error) {
    assert.match(String(error), /EBUSY/);
  }
  for (const pin of [PINS.red, PINS.green, PINS.yellow]) assert.ok(gpio.line(pin).unexported);
});

test('factory builds the GPIO driver from config', async () => {
  const gpio = new FakeGpio();
  const indicator = await createIndicator({ driver: 'gpio', pins: { red: 1, green: 2, buzzer: 3 }, idle: 'red' }, { gpio: gpio.factory, timers: new FakeTimers() });
  assert.instance(indicator, GpioIndicator);
  await indicator.start();
  assert.is(gpio.line(1).value, 1);
  await indicator.stop();
});

test.run();
