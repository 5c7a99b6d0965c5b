import { DeviceError } from '../errors.ts';
import type { TimerHandle, Timers } from '../timers.ts';
import { dataPackets, encodePacket, PacketParser, PID, type Packet } from './packet.ts';

export interface Ack {
  code: number;
  data: Buffer;
  /** Data packets after the ack (UpChar), joined. */
  upload?: Buffer;
}

export interface FingerprintHostOptions {
  address: number;
  /** Data packet payload size the module is set to (32, 64, 128 or 256). */
  packetSize: number;
  write(bytes: Buffer): Promise<void>;
  timers: Timers;
  responseTimeoutMs: number;
  onError(err: DeviceError): void;
}

interface Pending {
  ins: number;
  timer: TimerHandle;
  ack?: Ack;
  /** Collect data packets after an ok ack until PID 08. */
  upload: boolean;
  chunks: Buffer[];
  resolve(a: Ack): void;
  reject(err: Error): void;
}

/**
 * The host end of the module protocol: one command at a time, answered by an ack packet; an
 * upload (UpChar) is followed by data packets, a download (DownChar) is followed by ours.
 * A corrupt packet in the middle of an upload fails the command (the template would be
 * incomplete); packets that arrive when none are awaited are reported and dropped.
 */
export class FingerprintHost {
  readonly #o: FingerprintHostOptions;
  readonly #parser = new PacketParser();
  #pending: Pending | undefined;
  #closed = false;

  constructor(options: FingerprintHostOptions) {
    this.#o = options;
  }

  receive(chunk: Buffer): void {
    for (const out of this.#parser.push(chunk)) {
      if ('error' in out) {
        this.#o.onError(out.error);
        // A lost data packet cannot be asked for again: fail now rather than time out.
        const p = this.#pending;
        if (p?.ack && p.upload && out.error.code === 'bad_checksum') this.#settle(p, out.error);
        continue;
      }
      this.#packet(out.packet);
    }
  }

  #packet(pk: Packet): void {
    const p = this.#pending;
    if (pk.address !== this.#o.address) {
      this.#o.onError(new DeviceError('bad_frame', 'packet for another module address', { address: pk.address.toString(16) }));
      return;
    }
    if (!p) {
      this.#o.onError(new DeviceError('bad_frame', 'unexpected packet from fingerprint module', { pid: pk.pid }));
      return;
    }
    if (!p.ack) {
      if (pk.pid !== PID.ack || pk.payload.length < 1) {
        this.#o.onError(new DeviceError('bad_frame', 'expected an ack packet', { pid: pk.pid }));
        return;
      }
      p.ack = { code: pk.payload[0]!, data: pk.payload.subarray(1) };
      if (!p.upload || p.ack.code !== 0) this.#settle(p, undefined, p.ack);
      else this.#arm(p);
      return;
    }
    if (pk.pid !== PID.data && pk.pid !== PID.end) {
      this.#settle(p, new DeviceError('bad_frame', 'expected a data packet', { pid: pk.pid }));
      return;
    }
    p.chunks.push(pk.payload);
    if (pk.pid === PID.end) this.#settle(p, undefined, { ...p.ack, upload: Buffer.concat(p.chunks) });
    else this.#arm(p);
  }

  /** Sends an instruction and its parameters; resolves with the ack (any code: the caller judges). */
  command(ins: number, params: number[] | Buffer = [], opts: { upload?: boolean; download?: Buffer } = {}): Promise<Ack> {
    if (this.#closed) return Promise.reject(new DeviceError('serial_unavailable', 'fingerprint line closed'));
    if (this.#pending) return Promise.reject(new DeviceError('busy', 'a fingerprint command is in progress'));
    const o = this.#o;
    const ack = new Promise<Ack>((resolve, reject) => {
      const p: Pending = { ins, timer: undefined, upload: !!opts.upload, chunks: [], resolve, reject };
      this.#arm(p);
      this.#pending = p;
      const payload = Buffer.concat([Buffer.from([ins]), Buffer.from(params)]);
      o.write(encodePacket({ address: o.address, pid: PID.command, payload })).catch((err: Error) => this.#settle(p, err));
    });
    if (!opts.download) return ack;
    const data = opts.download;
    return ack.then(async (a) => {
      if (a.code === 0) for (const pk of dataPackets(o.address, data, o.packetSize)) await o.write(pk);
      return a;
    });
  }

  close(): void {
    this.#closed = true;
    if (this.#pending) this.#settle(this.#pending, new DeviceError('serial_unavailable', 'fingerprint line closed'));
    this.#parser.reset();
  }

  open(): void {
    this.#closed = false;
    this.#parser.reset();
  }

  /** (Re)starts the answer timeout: an upload may take long in all, but never long between packets. */
  #arm(p: Pending): void {
    if (p.timer !== undefined) this.#o.timers.clearTimeout(p.timer);
    p.timer = this.#o.timers.setTimeout(() => {
      this.#parser.reset();
      this.#settle(p, new DeviceError('timeout', `fingerprint module did not answer ${p.ins.toString(16)}`, { ins: p.ins }));
    }, this.#o.responseTimeoutMs);
  }

  #settle(p: Pending, err: Error | undefined, ack?: Ack): void {
    if (this.#pending !== p) return;
    this.#pending = undefined;
    this.#o.timers.clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(ack!);
  }
}
