import { DeviceError } from '../errors.ts';
import type { TimerHandle, Timers } from '../timers.ts';

/** What every command in flight carries beside its own fields. */
export interface Waiter<R> {
  timer: TimerHandle | undefined;
  resolve(answer: R): void;
  reject(err: Error): void;
}

export type InFlight<F, R> = F & Waiter<R>;

export interface OneCommandOptions {
  /** The device as messages name it: "SAM", "PN532", "fingerprint". */
  device: string;
  timers: Timers;
  /** An answer timed out: whatever half frame the parser holds belongs to the lost answer. */
  lost(): void;
}

/**
 * The host end of a command/answer protocol on a serial line keeps one command in flight: it
 * is settled by its answer, by its timeout, by a failed write, or by the line closing; a late
 * answer finds nothing to settle. Shared by the SAM, PN532 and fingerprint hosts, whose
 * parsers decide what an answer is.
 */
export class OneCommand<F extends object, R> {
  readonly #o: OneCommandOptions;
  #current: InFlight<F, R> | undefined;
  #closed = false;

  constructor(options: OneCommandOptions) {
    this.#o = options;
  }

  get current(): InFlight<F, R> | undefined {
    return this.#current;
  }

  /**
   * Writes a command and waits for its answer. On a closed line it fails at once, and so it
   * does while another command is in flight unless the caller queues (`busy: 'queued'`).
   */
  send(fields: F, write: () => Promise<void>, ms: number, timeout: (c: InFlight<F, R>) => DeviceError, busy: 'refuse' | 'queued' = 'refuse'): Promise<R> {
    if (this.#closed) return Promise.reject(new DeviceError('serial_unavailable', `${this.#o.device} line closed`));
    if (this.#current && busy === 'refuse') return Promise.reject(new DeviceError('busy', `a ${this.#o.device} command is in progress`));
    return new Promise<R>((resolve, reject) => {
      const c = { ...fields, timer: undefined, resolve, reject } as InFlight<F, R>;
      this.#current = c;
      this.arm(c, ms, timeout);
      write().catch((err: Error) => this.settle(c, err));
    });
  }

  /** (Re)starts the answer timeout of `c`. */
  arm(c: InFlight<F, R>, ms: number, timeout: (c: InFlight<F, R>) => DeviceError): void {
    if (c.timer !== undefined) this.#o.timers.clearTimeout(c.timer);
    c.timer = this.#o.timers.setTimeout(() => {
      c.timer = undefined;
      this.#o.lost();
      this.settle(c, timeout(c));
    }, ms);
  }

  settle(c: InFlight<F, R>, err: Error | undefined, answer?: R): void {
    if (this.#current !== c) return;
    this.#current = undefined;
    if (c.timer !== undefined) this.#o.timers.clearTimeout(c.timer);
    if (err) c.reject(err);
    else c.resolve(answer as R);
  }

  /** The line went away: the command in flight fails, later ones fail at once until open(). */
  close(): void {
    this.#closed = true;
    if (this.#current) this.settle(this.#current, new DeviceError('serial_unavailable', `${this.#o.device} line closed`));
  }

  open(): void {
    this.#closed = false;
  }
}
