import { silentLogger, type Logger } from '../../shared/log/logger.ts';
import { DeviceError } from '../errors.ts';
import { TypedEventEmitter } from '../port.ts';
import { hostOnLine, type SerialBinding, type SerialLine } from '../serial/line.ts';
import { realTimers, type TimerHandle, type Timers } from '../timers.ts';
import { FingerprintHost, type Ack } from './host.ts';
import type { FingerFailure, FingerprintEvents, FingerprintReader, Outcome } from './port.ts';
import { CC, INS, TEMPLATE_BYTES } from './protocol.ts';

export interface R30xOptions {
  path: string;
  baudRate: number;
  address: number;
  password: number;
  packetSize: number;
  capacity: number;
  responseTimeoutMs: number;
  /** How long enrol / verify / identify wait for a finger. */
  captureTimeoutMs: number;
  /** Pause between GenImg polls while waiting for a finger (and in watch mode). */
  pollMs: number;
  /** Poll for presses by itself and report each as a `press` event (a gate's sensor). */
  watch: boolean;
  binding?: SerialBinding;
  timers?: Timers;
  log?: Logger;
  reconnectMs?: number;
  reconnectMaxMs?: number;
}

const POOR = new Set<number>([CC.disorderly, CC.fewFeatures, CC.noValidImage, CC.enrollFailed]);

/**
 * An R30x / AS60x fingerprint module on a serial line.
 * Layers: SerialLine -> PacketParser -> FingerprintHost (commands) -> this driver.
 * Every operation is a short sequence of commands (GenImg, Img2Tz, Match ...); they are queued
 * so the watch poll and a caller never interleave on the one line. The password is checked
 * at each open (a module set with a password refuses all else until VfyPwd).
 */
export class R30xReader extends TypedEventEmitter<FingerprintEvents> implements FingerprintReader {
  readonly #o: R30xOptions;
  readonly #timers: Timers;
  readonly #log: Logger;
  #line: SerialLine | undefined;
  #host: FingerprintHost | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #poll: TimerHandle | undefined;
  /** Watch mode: a finger is lying on the sensor and has been reported. */
  #down = false;
  #lastError: string | undefined;

  constructor(options: R30xOptions) {
    super();
    this.#o = options;
    this.#timers = options.timers ?? realTimers;
    this.#log = options.log ?? silentLogger;
  }

  get capacity(): number {
    return this.#o.capacity;
  }

  async start(): Promise<void> {
    if (this.#line) return;
    const o = this.#o;
    const onError = (err: Error) => this.#error(err);
    const { line, host } = hostOnLine(
      { ...o, timers: this.#timers, log: this.#log },
      (write) => new FingerprintHost({ address: o.address, packetSize: o.packetSize, write, timers: this.#timers, responseTimeoutMs: o.responseTimeoutMs, onError }),
      { error: onError, open: () => void this.#serial(() => this.#verifyPassword()).catch(onError) },
    );
    this.#line = line;
    this.#host = host;
    await line.start();
    if (o.watch) this.#schedule(0);
  }

  async stop(): Promise<void> {
    const line = this.#line;
    if (!line) return;
    this.#line = undefined;
    if (this.#poll !== undefined) this.#timers.clearTimeout(this.#poll);
    this.#poll = undefined;
    this.#host?.close();
    await this.#queue.catch(() => undefined);
    this.#host = undefined;
    await line.stop();
  }

  enrol(onAgain?: () => void): Promise<Outcome<{ template: Buffer }>> {
    return this.#serial(async () => {
      const first = await this.#capture(1, true);
      if (!first.ok) return first;
      onAgain?.();
      await this.#waitLifted();
      const second = await this.#capture(2, true);
      if (!second.ok) return second;
      const merged = await this.#cmd(INS.regModel);
      if (merged.code === CC.mergeFailed || merged.code === CC.enrollFailed) return fail('merge_failed');
      expectOk(merged, 'RegModel');
      return { ok: true as const, template: await this.#upload(1) };
    });
  }

  verify(template: Buffer): Promise<Outcome<{ score: number }>> {
    return this.#serial(async () => {
      const cap = await this.#capture(1, true);
      return cap.ok ? this.#match(template) : cap;
    });
  }

  identify(start = 0, count = this.#o.capacity): Promise<Outcome<{ page: number; score: number }>> {
    return this.#serial(async () => {
      const cap = await this.#capture(1, true);
      return cap.ok ? this.#search(start, count) : cap;
    });
  }

  matchPress(template: Buffer): Promise<Outcome<{ score: number }>> {
    return this.#serial(() => this.#match(template));
  }

  searchPress(start = 0, count = this.#o.capacity): Promise<Outcome<{ page: number; score: number }>> {
    return this.#serial(() => this.#search(start, count));
  }

  storeTemplate(page: number, template: Buffer): Promise<void> {
    this.#page(page);
    return this.#serial(async () => {
      await this.#download(2, template);
      expectOk(await this.#cmd(INS.store, [2, page >> 8, page & 0xff]), 'Store');
    });
  }

  loadTemplate(page: number): Promise<Buffer> {
    this.#page(page);
    return this.#serial(async () => {
      expectOk(await this.#cmd(INS.loadChar, [2, page >> 8, page & 0xff]), 'LoadChar');
      return this.#upload(2);
    });
  }

  templateCount(): Promise<number> {
    return this.#serial(async () => {
      const a = expectOk(await this.#cmd(INS.templateNum), 'TemplateNum');
      return a.data.readUInt16BE(0);
    });
  }

  clear(): Promise<void> {
    return this.#serial(async () => {
      expectOk(await this.#cmd(INS.empty), 'Empty');
    });
  }

  async #verifyPassword(): Promise<void> {
    const pwd = this.#o.password >>> 0;
    const a = await this.#cmd(INS.vfyPwd, [pwd >>> 24, (pwd >> 16) & 0xff, (pwd >> 8) & 0xff, pwd & 0xff]);
    if (a.code === CC.wrongPassword) throw new DeviceError('auth_failed', 'fingerprint module refused the password');
    expectOk(a, 'VfyPwd');
  }

  /** GenImg (waiting for a finger when asked) then Img2Tz into a CharBuffer. */
  async #capture(buffer: 1 | 2, wait: boolean): Promise<Outcome> {
    const deadline = this.#timers.now() + this.#o.captureTimeoutMs;
    for (;;) {
      const img = await this.#cmd(INS.genImg);
      if (img.code === CC.ok) break;
      if (POOR.has(img.code)) return fail('poor_image');
      if (img.code !== CC.noFinger) expectOk(img, 'GenImg');
      if (!wait || this.#timers.now() >= deadline) return fail('no_finger');
      await this.#sleep(this.#o.pollMs);
    }
    const tz = await this.#cmd(INS.img2Tz, [buffer]);
    if (POOR.has(tz.code)) return fail('poor_image');
    expectOk(tz, 'Img2Tz');
    return { ok: true };
  }

  async #waitLifted(): Promise<void> {
    const deadline = this.#timers.now() + this.#o.captureTimeoutMs;
    while ((await this.#cmd(INS.genImg)).code !== CC.noFinger) {
      if (this.#timers.now() >= deadline) throw new DeviceError('timeout', 'finger was not lifted between the two presses');
      await this.#sleep(this.#o.pollMs);
    }
  }

  async #match(template: Buffer): Promise<Outcome<{ score: number }>> {
    await this.#download(2, template);
    const a = await this.#cmd(INS.match);
    if (a.code === CC.noMatch) return fail('no_match');
    expectOk(a, 'Match');
    return { ok: true, score: a.data.readUInt16BE(0) };
  }

  async #search(start: number, count: number): Promise<Outcome<{ page: number; score: number }>> {
    const a = await this.#cmd(INS.search, [1, start >> 8, start & 0xff, count >> 8, count & 0xff]);
    if (a.code === CC.notFound) return fail('no_match');
    expectOk(a, 'Search');
    return { ok: true, page: a.data.readUInt16BE(0), score: a.data.readUInt16BE(2) };
  }

  async #upload(buffer: 1 | 2): Promise<Buffer> {
    const a = expectOk(await this.host.command(INS.upChar, [buffer], { upload: true }), 'UpChar');
    if (a.upload?.length !== TEMPLATE_BYTES) {
      throw new DeviceError('bad_length', `template of ${a.upload?.length} bytes, expected ${TEMPLATE_BYTES}`, { length: a.upload?.length });
    }
    return a.upload;
  }

  async #download(buffer: 1 | 2, template: Buffer): Promise<void> {
    if (template.length !== TEMPLATE_BYTES) {
      throw new DeviceError('invalid_argument', `template of ${template.length} bytes, expected ${TEMPLATE_BYTES}`);
    }
    expectOk(await this.host.command(INS.downChar, [buffer], { download: template }), 'DownChar');
  }

  /** One command; one the module got corrupted (confirmation 01) is sent once more. */
  async #cmd(ins: number, params: number[] = []): Promise<Ack> {
    const a = await this.host.command(ins, params);
    return a.code === CC.packetError ? this.host.command(ins, params) : a;
  }

  private get host(): FingerprintHost {
    if (!this.#host) throw new DeviceError('not_started', 'fingerprint reader is not started');
    return this.#host;
  }

  #page(page: number): void {
    if (!Number.isInteger(page) || page < 0 || page >= this.#o.capacity) {
      throw new DeviceError('invalid_argument', `page ${page} outside the library (0..${this.#o.capacity - 1})`);
    }
  }

  /** Runs operations one after another on the one line. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.catch(() => undefined).then(fn);
    this.#queue = run;
    return run;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#timers.setTimeout(resolve, ms));
  }

  #schedule(ms: number): void {
    if (!this.#line) return;
    this.#poll = this.#timers.setTimeout(() => {
      this.#poll = undefined;
      void this.#serial(() => this.#watchOnce())
        .catch((err: Error) => this.#error(err))
        .finally(() => this.#schedule(this.#o.pollMs));
    }, ms);
  }

  /** One watch poll: a new press is reported once, then nothing until the finger is lifted. */
  async #watchOnce(): Promise<void> {
    if (!this.#line?.isOpen) return;
    const img = await this.#cmd(INS.genImg);
    this.#lastError = undefined;
    if (img.code === CC.noFinger) {
      this.#down = false;
      return;
    }
    if (this.#down) return;
    this.#down = true;
    if (img.code !== CC.ok) return void this.emit('press', fail('poor_image'));
    const tz = await this.#cmd(INS.img2Tz, [1]);
    if (POOR.has(tz.code)) return void this.emit('press', fail('poor_image'));
    expectOk(tz, 'Img2Tz');
    this.emit('press', { ok: true });
  }

  #error(err: Error): void {
    if (!this.#line) return;
    if (err.message === this.#lastError) return;
    this.#lastError = err.message;
    this.#log.warn({ path: this.#o.path, err: err.message, code: (err as DeviceError).code }, 'fingerprint module error');
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

function fail(reason: FingerFailure): { ok: false; reason: FingerFailure } {
  return { ok: false, reason };
}

function expectOk(a: Ack, what: string): Ack {
  if (a.code !== CC.ok) {
    throw new DeviceError('device_status', `${what}: confirmation code ${a.code.toString(16).padStart(2, '0')}`, { code: a.code });
  }
  return a;
}
