import { DeviceError } from '../errors.ts';
import { openGpioBoard } from '../gpio/lines.ts';
import type { GpioCallback, GpioFactory, GpioLike } from '../gpio/binding.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import type { LockerBank, LockerEvents } from './port.ts';

export interface GpioLockerOptions {
  lockers: Record<string, { lock: number; door?: number }>;
  activeLow: boolean;
  pulseMs: number;
  debounceMs: number;
  gpio?: GpioFactory;
  timers?: Timers;
}

/**
 * Lockers on GPIO (onoff): each lock line is an output held inactive and driven active for
 * `pulseMs` to release the lock; a door sensor line (closed contact = 1 = shut) reports the
 * door. Lines are exported in start() and unexported in stop(), the outputs left inactive.
 */
export class GpioLockerBank extends TypedEventEmitter<LockerEvents> implements LockerBank {
  readonly lockers: readonly string[];
  readonly #o: GpioLockerOptions;
  readonly #timers: Timers;
  readonly #locks = new Map<string, GpioLike>();
  readonly #doors = new Map<string, { line: GpioLike; watcher: GpioCallback }>();
  readonly #pulses = new Map<string, TimerHandle>();

  constructor(options: GpioLockerOptions) {
    super();
    this.#o = options;
    this.#timers = options.timers ?? realTimers;
    this.lockers = Object.keys(options.lockers).sort();
  }

  get #inactive(): 0 | 1 {
    return this.#o.activeLow ? 1 : 0;
  }

  async start(): Promise<void> {
    const board = await openGpioBoard(this.#o.gpio);
    try {
      for (const [locker, p] of Object.entries(this.#o.lockers)) {
        // 'high'/'low' sets the level as the line becomes an output: no stray pulse at boot.
        this.#locks.set(locker, board.line(p.lock, this.#o.activeLow ? 'high' : 'low'));
        if (p.door !== undefined) {
          const line = board.line(p.door, 'in', 'both', { debounceTimeout: this.#o.debounceMs });
          const watcher: GpioCallback = (err, value) => {
            if (err) return this.emit('error', new DeviceError('device_status', `door sensor of ${locker}: ${err.message}`));
            this.emit('door', { locker, open: value === 0, at: this.#timers.now() });
          };
          line.watch(watcher);
          this.#doors.set(locker, { line, watcher });
        }
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async unlock(locker: string): Promise<void> {
    const line = this.#locks.get(locker);
    if (!line) throw new DeviceError('invalid_argument', `no locker ${locker} on this bank`);
    const active = this.#o.activeLow ? 0 : 1;
    const pending = this.#pulses.get(locker);
    if (pending !== undefined) this.#timers.clearTimeout(pending);
    line.writeSync(active);
    this.emit('unlocked', { locker, at: this.#timers.now() });
    await new Promise<void>((resolve) => {
      this.#pulses.set(locker, this.#timers.setTimeout(() => {
        this.#pulses.delete(locker);
        if (this.#locks.get(locker) === line) line.writeSync(this.#inactive);
        resolve();
      }, this.#o.pulseMs));
    });
  }

  doorOpen(locker: string): boolean | undefined {
    const d = this.#doors.get(locker);
    return d ? d.line.readSync() === 0 : undefined;
  }

  async stop(): Promise<void> {
    for (const h of this.#pulses.values()) this.#timers.clearTimeout(h);
    this.#pulses.clear();
    for (const line of this.#locks.values()) {
      try {
        line.writeSync(this.#inactive);
      } catch { /* unexported already */ }
      line.unexport();
    }
    this.#locks.clear();
    for (const { line, watcher } of this.#doors.values()) {
      line.unwatch(watcher);
      line.unexport();
    }
    this.#doors.clear();
  }
}
