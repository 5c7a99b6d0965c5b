import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type Timers } from '../timers.ts';
import type { LockerBank, LockerEvents } from './port.ts';

/**
 * A bank of simulated lockers: unlocking opens the door (as a visitor pulling it would), tests
 * and the demo shut it with close(). Records every unlock.
 */
export class SimLockerBank extends TypedEventEmitter<LockerEvents> implements LockerBank {
  readonly lockers: readonly string[];
  readonly unlocks: { locker: string; at: number }[] = [];
  readonly #open = new Set<string>();
  readonly #timers: Timers;

  constructor(o: { lockers: readonly string[]; timers?: Timers }) {
    super();
    this.lockers = [...o.lockers].sort();
    this.#timers = o.timers ?? realTimers;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async unlock(locker: string): Promise<void> {
    if (!this.lockers.includes(locker)) throw new DeviceError('invalid_argument', `no locker ${locker} on this bank`);
    const at = this.#timers.now();
    this.unlocks.push({ locker, at });
    this.emit('unlocked', { locker, at });
    if (!this.#open.has(locker)) {
      this.#open.add(locker);
      this.emit('door', { locker, open: true, at });
    }
  }

  close(locker: string): void {
    if (this.#open.delete(locker)) this.emit('door', { locker, open: false, at: this.#timers.now() });
  }

  doorOpen(locker: string): boolean {
    return this.#open.has(locker);
  }
}
