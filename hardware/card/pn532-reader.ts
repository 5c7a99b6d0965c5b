import { silentLogger, type Logger } from '../../shared/log/logger.ts';
import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { hostOnLine, type SerialBinding, type SerialLine } from '../serial/line.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import { CMD, MIFARE, Pn532Host, STATUS } from './pn532.ts';
import { cardKind, CLASSIC_1K_BLOCKS, isSectorTrailer, type CardEvents, type CardKind, type CardReader } from './port.ts';

export interface Pn532ReaderOptions {
  path: string;
  /** The PN532's HSU runs at 115200 baud out of reset. */
  baudRate: number;
  /** How often the antenna is polled for a card. */
  pollMs: number;
  ackTimeoutMs: number;
  responseTimeoutMs: number;
  binding?: SerialBinding;
  timers?: Timers;
  log?: Logger;
  reconnectMs?: number;
  reconnectMaxMs?: number;
}

interface Target {
  uid: Buffer;
  sak: number;
  kind: CardKind;
}

/**
 * A PN532 on its UART (HSU), reading ISO 14443A cards: polls InListPassiveTarget, reports each
 * card once per presentation, and reads/writes MIFARE Classic blocks through InDataExchange.
 * Layers: SerialLine -> Pn532FrameParser -> Pn532Host (commands) -> this driver.
 */
export class Pn532Reader extends TypedEventEmitter<CardEvents> implements CardReader {
  readonly #o: Pn532ReaderOptions;
  readonly #timers: Timers;
  readonly #log: Logger;
  #line: SerialLine | undefined;
  #host: Pn532Host | undefined;
  #ready = false;
  #present: string | undefined;
  #poll: TimerHandle | undefined;
  #busy: Promise<unknown> = Promise.resolve();
  #lastError: string | undefined;
  firmware: string | undefined;

  constructor(options: Pn532ReaderOptions) {
    super();
    this.#o = options;
    this.#timers = options.timers ?? realTimers;
    this.#log = options.log ?? silentLogger;
  }

  /** The UID on the antenna as of the last poll. */
  get present(): string | undefined {
    return this.#present;
  }

  async start(): Promise<void> {
    if (this.#line) return;
    const o = this.#o;
    const onError = (err: Error) => this.#error(err);
    const { line, host } = hostOnLine(
      { ...o, timers: this.#timers, log: this.#log },
      (write) => new Pn532Host({ write, timers: this.#timers, ackTimeoutMs: o.ackTimeoutMs, responseTimeoutMs: o.responseTimeoutMs, onError }),
      {
        error: onError,
        open: () => (this.#ready = false), // a reconnected reader may have been power-cycled: wake it again
        close: () => (this.#present = undefined),
      },
    );
    this.#line = line;
    this.#host = host;
    await line.start();
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    const line = this.#line;
    if (!line) return;
    this.#line = undefined;
    if (this.#poll !== undefined) this.#timers.clearTimeout(this.#poll);
    this.#poll = undefined;
    this.#host?.close();
    await this.#busy.catch(() => undefined);
    this.#host = undefined;
    this.#present = undefined;
    await line.stop();
  }

  async readBlock(block: number, key: Buffer): Promise<Buffer> {
    checkBlock(block);
    checkKey(key);
    return this.#exclusive(async () => {
      const target = await this.#select();
      await this.#auth(target, block, key);
      const data = await this.#exchange([MIFARE.read, block]);
      if (data.length !== 16) throw new DeviceError('bad_frame', `read returned ${data.length} bytes`, { block });
      return data;
    });
  }

  async writeBlock(block: number, data: Buffer, key: Buffer): Promise<void> {
    checkBlock(block);
    checkKey(key);
    if (block === 0 || isSectorTrailer(block)) {
      // Block 0 is the maker's; a wrong trailer locks its sector for good.
      throw new DeviceError('invalid_argument', `block ${block} is not a data block`, { block });
    }
    if (data.length !== 16) throw new DeviceError('invalid_argument', 'a block is 16 bytes', { length: data.length });
    return this.#exclusive(async () => {
      const target = await this.#select();
      await this.#auth(target, block, key);
      await this.#exchange([MIFARE.write, block, ...data]);
    });
  }

  #schedule(ms: number): void {
    if (!this.#line) return;
    this.#poll = this.#timers.setTimeout(() => {
      this.#poll = undefined;
      void this.#exclusive(() => this.#pollOnce()).then(
        () => this.#schedule(this.#o.pollMs),
        (err: Error) => {
          this.#error(err);
          this.#schedule(this.#o.pollMs);
        },
      );
    }, ms);
  }

  async #pollOnce(): Promise<void> {
    if (!this.#line?.isOpen) return;
    const target = await this.#list();
    this.#lastError = undefined;
    const uid = target?.uid.toString('hex').toUpperCase();
    if (uid && uid !== this.#present) {
      this.#log.debug(() => ({ uid, kind: target!.kind }), 'card');
      this.#present = uid;
      this.emit('card', { uid, kind: target!.kind });
    }
    this.#present = uid;
  }

  async #select(): Promise<Target> {
    const target = await this.#list();
    if (!target) throw new DeviceError('no_card', 'no card on the reader');
    return target;
  }

  /** InListPassiveTarget, one target, 106 kbps type A: D5 4B NbTg [Tg SENS_RES(2) SEL_RES NFCIDLength NFCID1...]. */
  async #list(): Promise<Target | undefined> {
    await this.#init();
    const res = await this.#cmd(CMD.inListPassiveTarget, [0x01, 0x00]);
    if (res[0] === 0) return undefined;
    const idLen = res[5];
    if (res[0] !== 1 || idLen === undefined || ![4, 7, 10].includes(idLen) || res.length < 6 + idLen) {
      throw new DeviceError('bad_frame', 'malformed target list', { hex: res.toString('hex') });
    }
    const sak = res[4]!;
    return { uid: Buffer.from(res.subarray(6, 6 + idLen)), sak, kind: cardKind(sak) };
  }

  /** MIFARE authentication with key A; for 7- and 10-byte UIDs the last four bytes are used (as libnfc does). */
  async #auth(target: Target, block: number, key: Buffer): Promise<void> {
    await this.#exchange([MIFARE.authA, block, ...key, ...target.uid.subarray(target.uid.length - 4)]);
  }

  async #exchange(params: number[]): Promise<Buffer> {
    const res = await this.#cmd(CMD.inDataExchange, [0x01, ...params]);
    const status = (res[0] ?? 0xff) & 0x3f;
    if (status === STATUS.ok) return res.subarray(1);
    if (status === STATUS.mifareAuth) throw new DeviceError('auth_failed', 'MIFARE authentication failed (wrong key)', { status });
    if (status === STATUS.timeout) throw new DeviceError('no_card', 'the card did not answer (removed?)', { status });
    throw new DeviceError('device_status', `PN532 status 0x${status.toString(16)}`, { status });
  }

  /** Wake-up preamble, SAM in normal mode, and bounded passive-activation retries so polling returns when no card is there. */
  async #init(): Promise<void> {
    if (this.#ready) return;
    await this.#host!.wakeup();
    await this.#cmd(CMD.samConfiguration, [0x01, 0x14, 0x01]);
    await this.#cmd(CMD.rfConfiguration, [0x05, 0xff, 0x01, 0x02]);
    const fw = await this.#cmd(CMD.getFirmwareVersion);
    this.firmware = `PN5${(fw[0] ?? 0).toString(16)} ${fw[1]}.${fw[2]}`;
    this.#log.info({ path: this.#o.path, firmware: this.firmware }, 'PN532 ready');
    this.#ready = true;
  }

  #cmd(code: number, params: number[] = []): Promise<Buffer> {
    const host = this.#host;
    if (!host) return Promise.reject(new DeviceError('not_started', 'card reader is not started'));
    return host.command(code, params).catch((err: DeviceError) => {
      if (err.code === 'timeout' || err.code === 'serial_unavailable') {
        // Lost the reader: what is on the antenna once it answers again counts as a new presentation.
        this.#ready = false;
        this.#present = undefined;
      }
      throw err;
    });
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.#line) return Promise.reject(new DeviceError('not_started', 'card reader is not started'));
    const result = this.#busy.then(fn, fn);
    this.#busy = result.catch(() => undefined);
    return result;
  }

  #error(err: Error): void {
    if (!this.#line) return; // a command cut short by stop()
    // A reader that is gone fails every poll the same way: say it once until something works.
    if (err.message === this.#lastError) return;
    this.#lastError = err.message;
    this.#log.warn({ path: this.#o.path, err: err.message, code: (err as DeviceError).code }, 'card reader error');
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

function checkBlock(block: number): void {
  if (!Number.isInteger(block) || block < 0 || block >= CLASSIC_1K_BLOCKS) {
    throw new DeviceError('invalid_argument', `block must be 0..${CLASSIC_1K_BLOCKS - 1}`, { block });
  }
}

function checkKey(key: Buffer): void {
  if (key.length !== 6) throw new DeviceError('invalid_argument', 'a MIFARE key is 6 bytes', { length: key.length });
}
