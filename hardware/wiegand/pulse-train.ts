import type { FakeGpio } from '../gpio/fake-gpio.ts';
import type { FakeTimers } from '../testing/fake-timers.ts';
import type { Bit } from './codec.ts';

/** One low pulse on DATA0, DATA1, or both at once (interference), `at` ms after the train starts. */
export interface Pulse {
  line: 'd0' | 'd1' | 'both';
  at: number;
}

/**
 * The pulses a reader sends for `bits`, one every `intervalMs` (readers use 1-2 ms), or at
 * intervals drawn by `jitter` to test timing spread.
 */
export function pulseTrain(bits: readonly Bit[], options: { intervalMs?: number; jitter?: () => number; startAt?: number } = {}): Pulse[] {
  const interval = options.intervalMs ?? 2;
  let at = options.startAt ?? 0;
  return bits.map((bit, i) => {
    if (i > 0) at += options.jitter ? options.jitter() : interval;
    return { line: bit === 0 ? 'd0' : 'd1', at };
  });
}

/** Plays pulses on a fake GPIO with stepped timers, then lets `tailMs` pass so a frame can end. */
export function playPulses(gpio: FakeGpio, timers: FakeTimers, pins: { d0: number; d1: number }, pulses: readonly Pulse[], tailMs = 100): void {
  const sorted = [...pulses].sort((a, b) => a.at - b.at);
  let now = 0;
  for (const pulse of sorted) {
    timers.advance(pulse.at - now);
    now = pulse.at;
    gpio.pulse(pulse.line === 'd0' ? [pins.d0] : pulse.line === 'd1' ? [pins.d1] : [pins.d0, pins.d1]);
  }
  timers.advance(tailMs);
}
