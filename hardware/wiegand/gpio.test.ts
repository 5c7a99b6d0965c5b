import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceError } from '../errors.ts';
import { FakeGpio } from '../gpio/fake-gpio.ts';
import { FakeTimers } from '../testing/fake-timers.ts';
import { encodeWiegand, type Bit } from './codec.ts';
import { createWiegandReader } from './create.ts';
import { GpioWiegandReader } from './gpio.ts';
import type { AnyCardEvent, WiegandEvents } from './port.ts';
import { SimWiegandReader } from './sim.ts';
import { playPulses, pulseTrain, type Pulse } from './pulse-train.ts';

const PINS = { d0: 5, d1: 6 };

async function setup() {
  const timers = new FakeTimers(0);
  // Wiegand lines idle high.
  const gpio = new FakeGpio(1);
  const reader = new GpioWiegandReader({ pins: PINS, gpio: gpio.factory, timers });
  const cards: WiegandEvents['card'][] = [];
  const errors: DeviceError[] = [];
  reader.on('card', (c) => cards.push(c));
  reader.on('error', (e) => errors.push(e as DeviceError));
  await reader.start();
  const play = (pulses: Pulse[], tailMs?: number) => playPulses(gpio, timers, PINS, pulses, tailMs);
  return { timers, gpio, reader, cards, errors, play };
}

test('watches falling edges of both data lines', async () => {
  const { gpio, reader } = await setup();
  assert.is(gpio.line(PINS.d0).direction, 'in');
  assert.is(gpio.line(PINS.d0).edge, 'falling');
  assert.is(gpio.line(PINS.d1).edge, 'falling');
  await reader.stop();
  assert.ok(gpio.line(PINS.d0).unexported && gpio.line(PINS.d1).unexported);
});

test('a 26-bit and a 34-bit card from pulse trains', async () => {
  const { cards, errors, play, timers, reader } = await setup();
  play(pulseTrain(encodeWiegand('wiegand26', '123039')));
  play(pulseTrain(encodeWiegand('wiegand34', '04A1B2C3'), { intervalMs: 1 }));
  assert.equal(cards, [
    { kind: 'wiegand26', uid: '123039', facility: 18, number: 12345 },
    { kind: 'wiegand34', uid: '04A1B2C3' },
  ]);
  // The same handler takes cards from the serial readers: a 34-bit frame carries the 4-byte UID.
  const seen: AnyCardEvent[] = [...cards, { uid: '04A1B2C3', kind: 'mifare-classic-1k' }];
  assert.is(seen[1]!.uid, seen[2]!.uid);
  assert.equal(errors, []);
  await reader.stop();
  assert.is(timers.pendingCount, 0);
});

test('the frame ends on silence, not before: a slow reader (up to 20 ms between bits) still reads', async () => {
  const { cards, play } = await setup();
  let x = 7;
  const jitter = () => ((x = (x * 1103515245 + 12345) >>> 0), 0.3 + (x % 1970) / 100);
  play(pulseTrain(encodeWiegand('wiegand34', 'CAFEF00D'), { jitter }));
  assert.equal(cards, [{ kind: 'wiegand34', uid: 'CAFEF00D' }]);
});

test('the same card twice, 250 ms apart, is two reads', async () => {
  const { cards, play } = await setup();
  const frame = encodeWiegand('wiegand26', '0A0B0C');
  play([...pulseTrain(frame), ...pulseTrain(frame, { startAt: 250 })]);
  assert.is(cards.length, 2);
});

test('bad parity is an error and the next frame reads', async () => {
  const { cards, errors, play } = await setup();
  const frame = encodeWiegand('wiegand34', '11223344');
  frame[20] = (1 - frame[20]!) as Bit;
  play(pulseTrain(frame));
  assert.equal(cards, []);
  assert.is(errors.length, 1);
  assert.instance(errors[0], DeviceError);
  assert.is(errors[0]!.code, 'bad_parity');
  assert.equal(errors[0]!.context, { bits: 34, which: 'odd' });
  play(pulseTrain(encodeWiegand('wiegand34', '11223344')));
  assert.equal(cards, [{ kind: 'wiegand34', uid: '11223344' }]);
});

test('too few and too many bits are bad_length', async () => {
  const { cards, errors, play } = await setup();
  const frame = encodeWiegand('wiegand26', 'ABCDEF');
  play(pulseTrain(frame.slice(0, 25)));
  play(pulseTrain([...frame, 0]));
  play(pulseTrain(new Array<Bit>(200).fill(1)));
  assert.equal(cards, []);
  assert.equal(errors.map((e) => [e.code, e.context.bits]), [
    ['bad_length', 25],
    ['bad_length', 27],
    ['bad_length', 200],
  ]);
});

test('noise: isolated glitches are dropped, a glitch inside a frame spoils it, both lines low is bad_frame', async () => {
  const { cards, errors, play, reader } = await setup();
  // A relay nearby: two stray pulses on an idle line.
  play([{ line: 'd1', at: 0 }, { line: 'd0', at: 3 }]);
  assert.equal(errors, []);
  assert.is(reader.noise, 1);
  // A stray pulse between two bits of a frame adds a bit.
  const train = pulseTrain(encodeWiegand('wiegand26', '654321'));
  play([...train, { line: 'd1', at: 11 }]);
  assert.equal(errors.map((e) => e.code), ['bad_length']);
  // Interference pulling both lines down at once.
  play([...pulseTrain(encodeWiegand('wiegand26', '654321')), { line: 'both', at: 7 }]);
  assert.equal(errors.map((e) => e.code), ['bad_length', 'bad_frame']);
  assert.equal(cards, []);
  play(pulseTrain(encodeWiegand('wiegand26', '654321')));
  assert.equal(cards, [{ kind: 'wiegand26', uid: '654321', facility: 0x65, number: 0x4321 }]);
});

test('an interrupt failure is an error event; the reader keeps going', async () => {
  const { gpio, cards, errors, play } = await setup();
  gpio.fail(PINS.d0, new Error('EIO'));
  assert.equal(errors.map((e) => e.message), ['EIO']);
  play(pulseTrain(encodeWiegand('wiegand34', '00000001')));
  assert.is(cards.length, 1);
});

test('stop() in the middle of a frame drops it; restart reads again', async () => {
  const { gpio, timers, cards, errors, reader, play } = await setup();
  const train = pulseTrain(encodeWiegand('wiegand34', 'ABCDEF01'));
  playPulses(gpio, timers, PINS, train.slice(0, 10), 0);
  await reader.stop();
  assert.is(timers.pendingCount, 0);
  timers.advance(100);
  assert.equal(cards, []);
  assert.equal(errors, []);
  await reader.start();
  play(train);
  assert.equal(cards, [{ kind: 'wiegand34', uid: 'ABCDEF01' }]);
});

test('a line that cannot be exported leaves nothing exported', async () => {
  const gpio = new FakeGpio(1);
  gpio.failing.add(PINS.d1);
  const reader = new GpioWiegandReader({ pins: PINS, gpio: gpio.factory, timers: new FakeTimers() });
  try {
    await reader.start();
    assert.unreachable();
  } catch (error) {
    assert.match(String(error), /EBUSY/);
  }
  assert.ok(gpio.line(PINS.d0).unexported);
});

test('factory: gpio driver with an injected binding; simulator frames go through the same decoder', async () => {
  const timers = new FakeTimers();
  const gpio = new FakeGpio(1);
  const reader = await createWiegandReader({ driver: 'gpio', pins: PINS }, { gpio: gpio.factory, timers });
  assert.instance(reader, GpioWiegandReader);
  const sim = await createWiegandReader({ driver: 'sim', kind: 'wiegand26' }, { timers });
  assert.instance(sim, SimWiegandReader);
  const cards: WiegandEvents['card'][] = [];
  const errors: Error[] = [];
  sim.on('card', (c) => cards.push(c));
  sim.on('error', (e) => errors.push(e));
  await sim.start();
  (sim as SimWiegandReader).present('123039');
  timers.advance(24);
  assert.equal(cards, [], 'a frame ends only after the silence');
  timers.advance(1);
  assert.equal(cards, [{ kind: 'wiegand26', uid: '123039', facility: 18, number: 12345 }]);
  (sim as SimWiegandReader).sendBits([1, 0, 1, 1, 0]);
  timers.advance(25);
  assert.is((errors[0] as DeviceError).code, 'bad_length');
  assert.throws(() => (sim as SimWiegandReader).present('XYZ'), (e: DeviceError) => e.code === 'invalid_argument');
  await sim.stop();
  assert.throws(() => (sim as SimWiegandReader).present('123039'), (e: DeviceError) => e.code === 'not_started');
  try {
    await createWiegandReader({ driver: 'gpio', pins: { d0: 3, d1: 3 } });
    assert.unreachable();
  } catch (error) {
    assert.match(String(error), /d1/);
  }
});

test('random pulse noise never throws; every card read passed both parity checks', async () => {
  const { cards, errors, play, reader } = await setup();
  let x = 99;
  const rand = (n: number) => ((x = (x * 1103515245 + 12345) >>> 0) % n);
  const lines = ['d0', 'd1', 'both'] as const;
  for (let burst = 0; burst < 300; burst++) {
    const n = rand(40);
    let at = 0;
    const pulses: Pulse[] = [];
    for (let k = 0; k < n; k++) {
      at += rand(30) / 10;
      pulses.push({ line: lines[rand(10) === 0 ? 2 : rand(2)]!, at });
    }
    play(pulses, 40);
  }
  for (const error of errors) assert.ok(['bad_length', 'bad_parity', 'bad_frame'].includes(error.code), error.code);
  for (const card of cards) {
    const bits = encodeWiegand(card.kind, card.uid);
    assert.is(bits.length, card.kind === 'wiegand26' ? 26 : 34);
  }
  // Random frames of 26 or 34 bits pass both parities about one time in four.
  assert.ok(errors.length + cards.length + reader.noise > 0);
  await reader.stop();
});

test.run();
