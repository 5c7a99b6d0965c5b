import { DeviceError } from '../errors.ts';
import { OneCommand, type InFlight } from '../serial/one-command.ts';
import type { Timers } from '../timers.ts';
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

interface Command {
  ins: number;
  ack?: Ack;
  /** Collect data packets after an ok ack until PID 08. */
  upload: boolean;
  chunks: Buffer[];
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
  readonly #one: OneCommand<Command, Ack>;

  constructor(options: FingerprintHostOptions) {
    this.#o = options;
    this.#one = new OneCommand({ device: 'fingerprint', timers: options.timers, lost: () => this.#parser.reset() });
  }

  receive(chunk: Buffer): void {
    for (const out of this.#parser.push(chunk)) {
      if ('error' in out) {
        this.#o.onError(out.error);
        // A lost data packet cannot be asked for again: fail now rather than time out.
        const p = this.#one.current;
        if (p?.ack && p.upload && out.error.code === 'bad_checksum') this.#one.settle(p, out.error);
        continue;
      }
      this.#packet(out.packet);
    }
  }

  #packet(pk: Packet): void {
    const p = this.#one.current;
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
      if (!p.upload || p.ack.code !== 0) this.#one.settle(p, undefined, p.ack);
      else this.#arm(p);
      return;
    }
    if (pk.pid !== PID.data && pk.pid !== PID.end) {
      this.#one.settle(p, new DeviceError('bad_frame', 'expected a data packet', { pid: pk.pid }));
      return;
    }
    p.chunks.push(pk.payload);
    if (pk.pid === PID.end) this.#one.settle(p, undefined, { ...p.ack, upload: Buffer.concat(p.chunks) });
    else this.#arm(p);
  }

  /** Sends an instruction and its parameters; resolves with the ack (any code: the caller judges). */
  command(ins: number, params: number[] | Buffer = [], opts: { upload?: boolean; download?: Buffer } = {}): Promise<Ack> {
    const o = this.#o;
    const payload = Buffer.concat([Buffer.from([ins]), Buffer.from(params)]);
    const ack = this.#one.send(
      { ins, upload: !!opts.upload, chunks: [] },
      () => o.write(encodePacket({ address: o.address, pid: PID.command, payload })),
      o.responseTimeoutMs,
      timedOut,
    );
    if (!opts.download) return ack;
    const data = opts.download;
    return ack.then(async (a) => {
      if (a.code === 0) for (const pk of dataPackets(o.address, data, o.packetSize)) await o.write(pk);
      return a;
    });
  }

  close(): void {
    this.#one.close();
    this.#parser.reset();
  }

  open(): void {
    this.#one.open();
    this.#parser.reset();
  }

  /** (Re)starts the answer timeout: an upload may take long in all, but never long between packets. */
  #arm(p: InFlight<Command, Ack>): void {
    this.#one.arm(p, this.#o.responseTimeoutMs, timedOut);
  }
}

function timedOut(p: Command): DeviceError {
  return new DeviceError('timeout', `fingerprint module did not answer ${p.ins.toString(16)}`, { ins: p.ins });
}
