import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { FakeGpio } from '../gpio/fake-gpio.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import { createLockerBank, lockerConfigSchema } from './create.ts';
import type { LockerEvents } from './port.ts';
import type { SimLockerBank } from './sim.ts';

test('gpio: a lock line pulses active for pulseMs, then rests; the door sensor reports', async () => {
  const gpio = new FakeGpio(1);
  const timers = new FakeTimers();
  const bank = await createLockerBank({ driver: 'gpio', lockers: { L01: { lock: 5, door: 6 }, L02: { lock: 7 } }, pulseMs: 400, activeLow: true }, { gpio: gpio.factory, timers });
  const events: (LockerEvents['unlocked'] | LockerEvents['door'])[] = [];
  bank.on('unlocked', (e) => events.push(e));
  bank.on('door', (e) => events.push(e));
  await bank.start();
  assert.equal(bank.lockers, ['L01', 'L02']);
  assert.is(gpio.line(5).value, 1, 'active low: the lock rests high');
  assert.equal(gpio.writes, [], 'no pulse at start');
  const done = bank.unlock('L01');
  assert.is(gpio.line(5).value, 0, 'released');
  timers.advance(399);
  assert.is(gpio.line(5).value, 0);
  timers.advance(1);
  await done;
  assert.is(gpio.line(5).value, 1, 'locked again after the pulse');
  assert.is(bank.doorOpen('L01'), false);
  gpio.set(6, 0);
  assert.is(bank.doorOpen('L01'), true);
  assert.equal(events.map((e) => ('open' in e ? `door ${e.locker} ${e.open}` : `unlocked ${e.locker}`)), ['unlocked L01', 'door L01 true']);
  assert.is(bank.doorOpen('L02'), undefined, 'no sensor wired');
  const err = await bank.unlock('L99').catch((e) => e);
  assert.ok(err instanceof DeviceError && err.code === 'invalid_argument');
  await bank.stop();
  assert.ok(gpio.line(5).unexported && gpio.line(6).unexported && gpio.line(7).unexported);
});

test('config: one pin, one role', () => {
  const r = lockerConfigSchema.safeParse({ driver: 'gpio', lockers: { L01: { lock: 5 }, L02: { lock: 5 } } });
  assert.is(r.success, false);
  assert.ok(JSON.stringify(r.error!.issues).includes('already used'));
});

test('sim: unlocking opens the door until closed, every unlock recorded', async () => {
  const bank = (await createLockerBank({ driver: 'sim', lockers: ['A1', 'A2'] })) as SimLockerBank;
  await bank.start();
  await bank.unlock('A2');
  assert.is(bank.doorOpen('A2'), true);
  bank.close('A2');
  assert.is(bank.doorOpen('A2'), false);
  assert.equal(bank.unlocks.map((u) => u.locker), ['A2']);
  await bank.stop();
});

test.run();
