import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import type { PassageEvent } from './port.ts';
import { SimTurnstile, type SimTurnstileOptions } from './sim.ts';

function setup(options: SimTurnstileOptions = {}) {
  const timers = new FakeTimers();
  const turnstile = new SimTurnstile({ timers, ...options });
  const passages: PassageEvent[] = [];
  turnstile.on('passage', (p) => passages.push(p));
  return { timers, turnstile, passages };
}

const ops = (t: SimTurnstile) => t.history.map(({ at: _at, ...rest }) => rest);

test('autoPass walks the released visitors through one after another', async () => {
  const { timers, turnstile, passages } = setup({ passDelayMs: 50 });
  await turnstile.start();
  const done = turnstile.open('in', 3);
  timers.advance(50);
  assert.is(passages.length, 1);
  timers.advance(100);
  assert.equal(await done, { passed: 3 });
  assert.equal(passages, Array(3).fill({ direction: 'in', authorized: true }));
  assert.equal(turnstile.history.map((r) => r.at), [0, 0, 50, 100, 150, 150]);
  assert.equal(ops(turnstile).at(-1), { op: 'close', direction: 'in', persons: 3, passed: 3 });
  assert.is(timers.pendingCount, 0);
  await turnstile.stop();
});

test('without autoPass a test walks people through, and the timeout gives back the rest', async () => {
  const { timers, turnstile, passages } = setup({ autoPass: false });
  await turnstile.start();
  const done = turnstile.open('out', 2, 1000);
  assert.ok(turnstile.simulatePassage('out'));
  assert.not.ok(turnstile.simulatePassage('in'), 'the other direction stays shut');
  timers.advance(1000);
  assert.equal(await done, { passed: 1 });
  assert.equal(passages, [{ direction: 'out', authorized: true }]);
  assert.equal(ops(turnstile), [
    { op: 'start' },
    { op: 'open', direction: 'out', persons: 2 },
    { op: 'passage', direction: 'out', authorized: true },
    { op: 'blocked', direction: 'in' },
    { op: 'close', direction: 'out', persons: 2, passed: 1 },
  ]);
  await turnstile.stop();
});

test('closed leaves block, emergency open lets through, force gets through anyway', async () => {
  const { turnstile, passages } = setup({ autoPass: false });
  await turnstile.start();
  assert.not.ok(turnstile.simulatePassage('in'));
  assert.ok(turnstile.simulatePassage('in', { force: true }));
  await turnstile.setEmergencyOpen(true);
  assert.equal(turnstile.state, { emergencyOpen: true, busy: false });
  assert.ok(turnstile.simulatePassage('out'));
  assert.equal(passages, [
    { direction: 'in', authorized: false },
    { direction: 'out', authorized: false },
  ]);
  await turnstile.stop();
  assert.is(turnstile.state.emergencyOpen, false);
});

test('emergency input is reported', async () => {
  const { turnstile } = setup();
  const seen: boolean[] = [];
  turnstile.on('emergency', (e) => seen.push(e.active));
  await turnstile.start();
  turnstile.simulateEmergencyInput(true);
  assert.equal(seen, [true]);
  await turnstile.stop();
});

test('stop() ends a waiting release and its walkers', async () => {
  const { timers, turnstile } = setup();
  await turnstile.start();
  const done = turnstile.open('in', 2);
  timers.advance(50);
  await turnstile.stop();
  assert.equal(await done, { passed: 1 });
  assert.is(timers.pendingCount, 0);
});

test('history keeps the newest records up to its limit', async () => {
  const { turnstile } = setup({ autoPass: false, historyLimit: 3 });
  await turnstile.start();
  for (const active of [true, false, true]) turnstile.simulateEmergencyInput(active);
  assert.equal(ops(turnstile), [
    { op: 'emergency-input', active: true },
    { op: 'emergency-input', active: false },
    { op: 'emergency-input', active: true },
  ]);
  await turnstile.stop();
});

test('refuses what the hardware driver refuses', async () => {
  const { turnstile } = setup({ autoPass: false });
  const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: DeviceError) => e.code);
  assert.is(await code(turnstile.open('in', 1)), 'not_started');
  await turnstile.start();
  assert.is(await code(turnstile.open('in', -1)), 'invalid_argument');
  const first = turnstile.open('in', 1);
  assert.is(await code(turnstile.open('out', 1)), 'busy');
  turnstile.simulatePassage('in');
  assert.equal(await first, { passed: 1 });
  await turnstile.stop();
});

test('the alarm input is reported and recorded', async () => {
  const turnstile = new SimTurnstile({ autoPass: false });
  const alarms: boolean[] = [];
  turnstile.on('alarm', (e) => alarms.push(e.active));
  await turnstile.start();
  turnstile.simulateAlarmInput(true);
  turnstile.simulateAlarmInput(false);
  assert.equal(alarms, [true, false]);
  assert.equal(turnstile.history.filter((r) => r.op === 'alarm-input').map((r) => (r as { active: boolean }).active), [true, false]);
  await turnstile.stop();
});

test.run();
