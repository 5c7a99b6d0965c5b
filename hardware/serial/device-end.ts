import { silentLogger, type Logger } from '../../shared/log/logger.ts';
import { TypedEventEmitter } from '../port.ts';
import { SerialLine, type SerialBinding } from './line.ts';

export interface DeviceEndOptions {
  /** The device end of the line (the other end of a pty pair from the driver). */
  path: string;
  baudRate: number;
  binding?: SerialBinding;
  log?: Logger;
}

/**
 * The device's end of a serial line, for simulators that speak a device's real protocol:
 * opens the line, hands every chunk to `onData`, and reports line errors as `error` events
 * when someone listens. Subclasses write their answers with `this.line.write`.
 */
export abstract class SerialDeviceEnd<Events extends { error: Error }> extends TypedEventEmitter<Events> {
  protected readonly line: SerialLine;

  constructor(options: DeviceEndOptions) {
    super();
    this.line = new SerialLine({ path: options.path, baudRate: options.baudRate, binding: options.binding, log: options.log ?? silentLogger });
  }

  async start(): Promise<void> {
    this.line.on('data', (chunk) => this.onData(chunk));
    this.line.on('error', (err) => {
      if (this.listenerCount('error') > 0) this.emit('error', err as Events['error']);
    });
    await this.line.start();
    await this.line.waitOpen();
  }

  async stop(): Promise<void> {
    await this.line.stop();
  }

  /** Bytes the host sent. */
  protected abstract onData(chunk: Buffer): void;
}
