import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeviceError } from '../errors.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import type { Light } from './port.ts';
import { SimIndicator, type SimIndicatorOptions } from './sim.ts';

function setup(options: SimIndicatorOptions = {}) {
  const timers = new FakeTimers();
  const indicator = new SimIndicator({ timers, ...options });
  return { timers, indicator };
}

const ops = (i: SimIndicator) => i.history.map(({ at: _at, ...rest }) => rest);
const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: DeviceError) => e.code);

test('start shows the idle light, stop goes dark', async () => {
  const { indicator } = setup({ idle: 'red' });
  assert.equal(indicator.state, { light: 'off', blinking: false, beeping: null });
  await indicator.start();
  assert.equal(indicator.state, { light: 'red', blinking: false, beeping: null });
  await indicator.stop();
  assert.equal(indicator.state, { light: 'off', blinking: false, beeping: null });
});

test('show with forMs returns to the idle light afterwards', async () => {
  const { timers, indicator } = setup();
  await indicator.start();
  await indicator.show('green', { forMs: 3000 });
  assert.equal(indicator.state.light, 'green');
  timers.advance(2999);
  assert.equal(indicator.state.light, 'green');
  timers.advance(1);
  assert.equal(indicator.state, { light: 'off', blinking: false, beeping: null });
  assert.equal(indicator.history.map((r) => r.at), [0, 0, 3000]);
  assert.equal(ops(indicator).slice(1), [
    { op: 'show', light: 'green', blink: false, forMs: 3000 },
    { op: 'revert', light: 'off' },
  ]);
  await indicator.stop();
});

test('a new show replaces a timed one, and its own timer decides', async () => {
  const { timers, indicator } = setup();
  await indicator.start();
  await indicator.show('green', { forMs: 3000 });
  timers.advance(1000);
  await indicator.show('red', { blink: true, forMs: 500 });
  assert.equal(indicator.state, { light: 'red', blinking: true, beeping: null });
  timers.advance(500);
  assert.equal(indicator.state.light, 'off');
  timers.advance(5000);
  assert.is(ops(indicator).filter((o) => o.op === 'revert').length, 1, 'the replaced timer never fires');
  // Without forMs the light is held.
  await indicator.show('yellow', { blink: true });
  timers.advance(60_000);
  assert.equal(indicator.state, { light: 'yellow', blinking: true, beeping: null });
  await indicator.stop();
});

test('setIdle applies at once when idle or held, and after a timed show otherwise', async () => {
  const { timers, indicator } = setup();
  indicator.setIdle('red');
  await indicator.start();
  assert.is(indicator.state.light, 'red', 'set before start, shown by start');
  await indicator.show('green', { forMs: 1000 });
  indicator.setIdle('green'); // emergency: lanes stand open
  await indicator.show('red', { forMs: 1000 });
  indicator.setIdle('green');
  assert.is(indicator.state.light, 'red', 'the timed show keeps its light');
  timers.advance(1000);
  assert.is(indicator.state.light, 'green');
  await indicator.show('yellow', { blink: true });
  indicator.setIdle('off');
  assert.equal(indicator.state, { light: 'off', blinking: false, beeping: null }, 'a mode change ends a held light');
  assert.is(indicator.idle, 'off');
  await indicator.stop();
});

test('ok and error beeps end by themselves; alarm lasts until silence()', async () => {
  const { timers, indicator } = setup();
  await indicator.start();
  await indicator.beep('ok');
  assert.is(indicator.state.beeping, 'ok');
  timers.advance(120);
  assert.is(indicator.state.beeping, null);
  await indicator.beep('error');
  timers.advance(519);
  assert.is(indicator.state.beeping, 'error');
  timers.advance(1);
  assert.is(indicator.state.beeping, null);
  await indicator.beep('alarm');
  timers.advance(600_000);
  assert.is(indicator.state.beeping, 'alarm');
  await indicator.silence();
  assert.is(indicator.state.beeping, null);
  assert.equal(ops(indicator).slice(1), [
    { op: 'beep', pattern: 'ok' },
    { op: 'beep-end', pattern: 'ok' },
    { op: 'beep', pattern: 'error' },
    { op: 'beep-end', pattern: 'error' },
    { op: 'beep', pattern: 'alarm' },
    { op: 'silence' },
  ]);
  assert.is(timers.pendingCount, 0);
  await indicator.stop();
});

test('a new beep replaces the one sounding, alarm included', async () => {
  const { timers, indicator } = setup();
  await indicator.start();
  await indicator.beep('alarm');
  await indicator.beep('ok');
  assert.is(indicator.state.beeping, 'ok');
  await indicator.beep('error');
  timers.advance(120);
  assert.is(indicator.state.beeping, 'error', "the replaced ok's timer does not cut the error short");
  await indicator.stop();
});

test('stop() cancels timers and silences', async () => {
  const { timers, indicator } = setup();
  await indicator.start();
  await indicator.show('green', { forMs: 3000 });
  await indicator.beep('error');
  await indicator.stop();
  assert.equal(indicator.state, { light: 'off', blinking: false, beeping: null });
  assert.is(timers.pendingCount, 0);
  await indicator.stop();
  assert.is(ops(indicator).filter((o) => o.op === 'stop').length, 1, 'stop twice is harmless');
});

test('refuses what a hardware driver refuses', async () => {
  const { indicator } = setup();
  assert.is(await code(indicator.show('green')), 'not_started');
  assert.is(await code(indicator.beep('ok')), 'not_started');
  assert.is(await code(indicator.silence()), 'not_started');
  await indicator.start();
  assert.is(await code(indicator.show('blue' as Light)), 'invalid_argument');
  assert.is(await code(indicator.show('green', { forMs: 0 })), 'invalid_argument');
  assert.is(await code(indicator.show('green', { forMs: Number.NaN })), 'invalid_argument');
  assert.is(await code(indicator.beep('siren' as 'alarm')), 'invalid_argument');
  assert.throws(() => indicator.setIdle('purple' as Light), (e: DeviceError) => e.code === 'invalid_argument');
  assert.equal(indicator.state, { light: 'off', blinking: false, beeping: null });
  await indicator.stop();
});

test('history keeps the newest records up to its limit', async () => {
  const { indicator } = setup({ historyLimit: 2 });
  for (const light of ['red', 'green', 'off'] as const) indicator.setIdle(light);
  assert.equal(ops(indicator), [
    { op: 'idle', light: 'green' },
    { op: 'idle', light: 'off' },
  ]);
});

test.run();
