import { DeviceError } from '../errors.ts';
import { OneCommand } from '../serial/one-command.ts';
import type { Timers } from '../timers.ts';
import { encodeFrame, NACK, Pn532FrameParser, TFI_HOST, TFI_PN532, WAKEUP } from './pn532-frame.ts';

/** PN532 command codes used here (UM0701-02 section 7). The response code is the command + 1. */
export const CMD = {
  getFirmwareVersion: 0x02,
  samConfiguration: 0x14,
  rfConfiguration: 0x32,
  inDataExchange: 0x40,
  inListPassiveTarget: 0x4a,
  inRelease: 0x52,
} as const;

/** MIFARE Classic commands carried by InDataExchange. */
export const MIFARE = { authA: 0x60, authB: 0x61, read: 0x30, write: 0xa0 } as const;

/** InDataExchange status codes (UM0701-02 table 7.1), low 6 bits of the status byte. */
export const STATUS = { ok: 0x00, timeout: 0x01, mifareAuth: 0x14 } as const;

export interface Pn532HostOptions {
  write(bytes: Buffer): Promise<void>;
  timers: Timers;
  /** The PN532 acknowledges a command within a few ms; a missing ACK means it is not there. */
  ackTimeoutMs: number;
  /** InListPassiveTarget with retries takes up to ~150 ms; MIFARE ops ~10 ms. */
  responseTimeoutMs: number;
  /** How often a response with a bad checksum is asked for again with a NACK. */
  nackRetries?: number;
  /** Stream faults that did not break a command (noise, unexpected frames). */
  onError(err: DeviceError): void;
}

interface Command {
  code: number;
  stage: 'ack' | 'response';
  nacks: number;
}

/**
 * The host end of the PN532 command protocol: one command at a time, each answered by an ACK
 * frame and then a response frame (TFI D5, code + 1). Commands are queued; a bad response
 * checksum is answered with a NACK so the PN532 sends the response again.
 */
export class Pn532Host {
  readonly #o: Pn532HostOptions;
  readonly #parser = new Pn532FrameParser();
  readonly #one: OneCommand<Command, Buffer>;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: Pn532HostOptions) {
    this.#o = options;
    this.#one = new OneCommand({ device: 'PN532', timers: options.timers, lost: () => this.#parser.reset() });
  }

  /** Bytes from the serial line. */
  receive(chunk: Buffer): void {
    for (const out of this.#parser.push(chunk)) {
      const p = this.#one.current;
      if (out.type === 'error') {
        if (p?.stage === 'response' && out.error.code === 'bad_checksum' && p.nacks < (this.#o.nackRetries ?? 2)) {
          p.nacks++;
          this.#o.write(NACK).catch(() => undefined);
        }
        this.#o.onError(out.error);
      } else if (out.type === 'ack') {
        if (p?.stage === 'ack') {
          p.stage = 'response';
          this.#one.arm(p, this.#o.responseTimeoutMs, timedOut);
        }
      } else if (out.type === 'syntax_error') {
        if (p) this.#one.settle(p, new DeviceError('device_status', `PN532 rejected command ${hex(p.code)} as malformed`, { command: p.code }));
      } else if (out.type === 'nack') {
        this.#o.onError(new DeviceError('bad_frame', 'unexpected NACK from PN532'));
      } else if (p?.stage === 'response' && out.tfi === TFI_PN532 && out.data[0] === p.code + 1) {
        this.#one.settle(p, undefined, out.data.subarray(1));
      } else {
        this.#o.onError(new DeviceError('bad_frame', 'unexpected frame from PN532', { tfi: out.tfi, hex: out.data.toString('hex') }));
      }
    }
  }

  /** Sends the HSU wake-up preamble; the PN532 needs it before its first command. */
  wakeup(): Promise<void> {
    return this.#o.write(WAKEUP);
  }

  /** Runs one command; resolves with the response data after the response code. */
  command(code: number, params: Buffer | number[] = []): Promise<Buffer> {
    const run = () => this.#run(code, Buffer.from(params));
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Fails the command in flight and any queued later (the line went away). */
  close(): void {
    this.#one.close();
    this.#parser.reset();
  }

  /** Accepts commands again (after the line reopened). */
  open(): void {
    this.#one.open();
    this.#parser.reset();
  }

  #run(code: number, params: Buffer): Promise<Buffer> {
    return this.#one.send(
      { code, stage: 'ack', nacks: 0 },
      () => this.#o.write(encodeFrame(TFI_HOST, Buffer.concat([Buffer.from([code]), params]))),
      this.#o.ackTimeoutMs,
      timedOut,
    );
  }
}

function timedOut(p: Command): DeviceError {
  return new DeviceError('timeout', `PN532 ${p.stage === 'ack' ? 'did not acknowledge' : 'did not answer'} command ${hex(p.code)}`, { command: p.code, stage: p.stage });
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}
