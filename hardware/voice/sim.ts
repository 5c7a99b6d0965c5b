import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import { checkPrompt } from './port.ts';
import type { VoiceEvents, VoiceLocale, VoicePort, VoicePrompt } from './port.ts';

export interface SimVoiceOptions {
  /**
   * How long each character of the prompt takes to "speak" (of `text`, or of the id when there
   * is none). Default 0: a prompt ends as soon as it starts.
   */
  msPerChar?: number;
  /** Oldest records are dropped beyond this, so a simulated gate can run for days (default 1000). */
  historyLimit?: number;
  timers?: Timers;
}

/** What the simulator did, in order, for tests and a console view. */
export type SimVoiceOp =
  | { op: 'start' | 'stop' }
  | { op: 'say'; id: string; locale: VoiceLocale; text?: string }
  | { op: 'end'; id: string; interrupted: boolean };

export type SimVoiceRecord = SimVoiceOp & { at: number };

export class SimVoice extends TypedEventEmitter<VoiceEvents> implements VoicePort {
  readonly history: SimVoiceRecord[] = [];
  readonly #msPerChar: number;
  readonly #historyLimit: number;
  readonly #timers: Timers;
  #started = false;
  #current: { id: string; timer: TimerHandle } | undefined;

  constructor(options: SimVoiceOptions = {}) {
    super();
    this.#msPerChar = options.msPerChar ?? 0;
    this.#historyLimit = options.historyLimit ?? 1000;
    this.#timers = options.timers ?? realTimers;
  }

  get speaking(): boolean {
    return this.#current !== undefined;
  }

  /** The id of the prompt being spoken, for a console view. */
  get prompt(): string | undefined {
    return this.#current?.id;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#record({ op: 'start' });
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#interrupt();
    this.#started = false;
    this.#record({ op: 'stop' });
  }

  async say(prompt: VoicePrompt): Promise<void> {
    checkPrompt(prompt);
    if (!this.#started) throw new DeviceError('not_started', 'voice is not started');
    this.#interrupt();
    const { id, locale, text } = prompt;
    this.#record(text === undefined ? { op: 'say', id, locale } : { op: 'say', id, locale, text });
    const ms = this.#msPerChar * [...(text ?? id)].length;
    if (ms <= 0) {
      this.#end(id, false);
      return;
    }
    this.#current = {
      id,
      timer: this.#timers.setTimeout(() => {
        this.#current = undefined;
        this.#end(id, false);
      }, ms),
    };
  }

  #interrupt(): void {
    const current = this.#current;
    if (!current) return;
    this.#timers.clearTimeout(current.timer);
    this.#current = undefined;
    this.#end(current.id, true);
  }

  #end(id: string, interrupted: boolean): void {
    this.#record({ op: 'end', id, interrupted });
    this.emit('end', { id, interrupted });
  }

  #record(op: SimVoiceOp): void {
    this.history.push({ ...op, at: this.#timers.now() });
    if (this.history.length > this.#historyLimit) this.history.splice(0, this.history.length - this.#historyLimit);
  }
}
