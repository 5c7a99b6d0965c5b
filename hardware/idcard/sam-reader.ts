import { silentLogger, type Logger } from '../../shared/log/logger.ts';
import { isValidIdNumber } from '../../shared/rules/credential.ts';
import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { hostOnLine, type SerialBinding, type SerialLine } from '../serial/line.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import { decodeBasicInfo } from './basic-info.ts';
import type { IdCardEvents, IdCardReader } from './port.ts';
import { SAM_CMD, SamHost, SW, type SamAnswer } from './sam.ts';

export interface SamReaderOptions {
  path: string;
  baudRate: number;
  /** Pause between find-card polls. */
  pollMs: number;
  /** Reading basic info takes the SAM up to about a second. */
  responseTimeoutMs: number;
  binding?: SerialBinding;
  timers?: Timers;
  log?: Logger;
  reconnectMs?: number;
  reconnectMaxMs?: number;
}

/**
 * A second-generation ID card reader (SAM module) on a serial line: polls find card, then
 * select and read basic information, decodes the UCS-2 text and checks the ID number (GB 11643).
 * Layers: SerialLine -> SamFrameParser -> SamHost (commands) -> this driver.
 *
 * One read per presentation: after a read the card stays selected and answers "not found"
 * (80) until it leaves the field; a reader that keeps finding a card already read is not
 * read again until a "not found" in between. A card selected but not read (the answer to
 * select or to the read came corrupt, cut short or not at all) is read again at the next
 * poll without find, which it would answer "not found": the visitor need not lift it.
 */
export class SamReader extends TypedEventEmitter<IdCardEvents> implements IdCardReader {
  readonly #o: SamReaderOptions;
  readonly #timers: Timers;
  readonly #log: Logger;
  #line: SerialLine | undefined;
  #host: SamHost | undefined;
  #poll: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #read = false;
  /** A select was sent and no read has succeeded since: the card may be selected, waiting. */
  #selected = false;
  #lastError: string | undefined;

  constructor(options: SamReaderOptions) {
    super();
    this.#o = options;
    this.#timers = options.timers ?? realTimers;
    this.#log = options.log ?? silentLogger;
  }

  async start(): Promise<void> {
    if (this.#line) return;
    const o = this.#o;
    const onError = (err: Error) => this.#error(err);
    const { line, host } = hostOnLine(
      { ...o, timers: this.#timers, log: this.#log },
      (write) => new SamHost({ write, timers: this.#timers, responseTimeoutMs: o.responseTimeoutMs, onError }),
      {
        error: onError,
        close: () => {
          this.#read = false;
          this.#selected = false;
        },
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
    await this.#running;
    this.#host = undefined;
    await line.stop();
  }

  #schedule(ms: number): void {
    if (!this.#line) return;
    this.#poll = this.#timers.setTimeout(() => {
      this.#poll = undefined;
      this.#running = this.#pollOnce()
        .catch((err: Error) => this.#error(err))
        .finally(() => {
          this.#running = undefined;
          this.#schedule(this.#o.pollMs);
        });
    }, ms);
  }

  async #pollOnce(): Promise<void> {
    if (!this.#line?.isOpen) return;
    if (this.#selected) return this.#readSelected();
    const find = await this.#cmd(SAM_CMD.find);
    this.#lastError = undefined;
    if (find.sw[2] === SW.notFound) {
      this.#read = false;
      return;
    }
    expect(find, SW.found, 'find card');
    if (this.#read) return;
    this.#selected = true; // from here on the card may be selected, whatever answer comes back
    const select = await this.#cmd(SAM_CMD.select);
    if (select.sw[2] === SW.selectFailed) {
      this.#selected = false; // moved away between find and select: try again next poll
      return;
    }
    expect(select, SW.ok, 'select card');
    await this.#readSelected();
  }

  /** Reads the selected card; an error leaves it selected, to be read again at the next poll. */
  async #readSelected(): Promise<void> {
    const answer = await this.#cmd(SAM_CMD.readBasic);
    this.#lastError = undefined;
    this.#selected = false;
    if (answer.sw[2] === SW.readFailed) return; // gone, or never selected: back to finding it
    this.#read = true; // an answer came: this presentation has had its read, good or bad
    const info = decodeBasicInfo(expect(answer, SW.ok, 'read basic info').data);
    if (!isValidIdNumber(info.idNumber)) {
      throw new DeviceError('invalid_id_number', 'ID number fails the GB 11643 check', { idNumber: mask(info.idNumber) });
    }
    this.#log.debug(() => ({ idNumber: mask(info.idNumber) }), 'ID card read');
    this.emit('idcard', info);
  }

  /** One command; a frame the SAM got corrupted (SW3 10) is sent once more. */
  async #cmd(cmd: readonly [number, number]): Promise<SamAnswer> {
    const host = this.#host;
    if (!host) throw new DeviceError('not_started', 'ID card reader is not started');
    const answer = await host.command(cmd);
    return answer.sw[2] === SW.checksum ? host.command(cmd) : answer;
  }

  #error(err: Error): void {
    if (!this.#line) return; // a command cut short by stop()
    if (err.message === this.#lastError) return; // a dead reader fails each poll alike: say it once
    this.#lastError = err.message;
    this.#log.warn({ path: this.#o.path, err: err.message, code: (err as DeviceError).code }, 'ID card reader error');
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

function expect(a: SamAnswer, sw3: number, what: string): SamAnswer {
  if (a.sw[0] !== 0 || a.sw[1] !== 0 || a.sw[2] !== sw3) {
    throw new DeviceError('device_status', `${what}: SAM status ${a.sw.map((b) => b.toString(16).padStart(2, '0')).join(' ')}`, { sw: a.sw });
  }
  return a;
}

/** ID numbers stay out of logs and error contexts but for region and check digit. */
function mask(id: string): string {
  return id.length > 7 ? `${id.slice(0, 6)}${'*'.repeat(id.length - 7)}${id.slice(-1)}` : '*'.repeat(id.length);
}
