import { EventEmitter } from 'node:events';

/**
 * What every device port has in common. Constructors only assign; `start()` opens lines,
 * ports and timers and `stop()` releases all of them, so a test process can start and stop a
 * device many times and a gate agent can shut down cleanly.
 */
export interface DevicePort {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `Events` maps an event name to its single payload. */
export type EventListener<Events extends object, K extends keyof Events> = (payload: Events[K]) => void;

/** The listening side of a device. Emitting is left out: only the device itself reports events. */
export interface TypedEmitter<Events extends object> {
  on<K extends keyof Events & string>(event: K, listener: EventListener<Events, K>): this;
  off<K extends keyof Events & string>(event: K, listener: EventListener<Events, K>): this;
  once<K extends keyof Events & string>(event: K, listener: EventListener<Events, K>): this;
}

/**
 * Base class for device drivers. It wraps a node EventEmitter rather than extending it, so the
 * untyped `on(string, ...any[])` overloads do not leak into the port types. Node semantics are
 * kept: emitting `error` with no listener throws.
 */
export class TypedEventEmitter<Events extends object> implements TypedEmitter<Events> {
  readonly #emitter = new EventEmitter();

  on<K extends keyof Events & string>(event: K, listener: EventListener<Events, K>): this {
    this.#emitter.on(event, listener);
    return this;
  }

  off<K extends keyof Events & string>(event: K, listener: EventListener<Events, K>): this {
    this.#emitter.off(event, listener);
    return this;
  }

  once<K extends keyof Events & string>(event: K, listener: EventListener<Events, K>): this {
    this.#emitter.once(event, listener);
    return this;
  }

  listenerCount(event: keyof Events & string): number {
    return this.#emitter.listenerCount(event);
  }

  protected emit<K extends keyof Events & string>(event: K, payload: Events[K]): boolean {
    return this.#emitter.emit(event, payload);
  }
}
