import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/** What an MQTT listener lets a socket do; see `mqttLimitsSchema` in ./mqtt-limits.ts. */
export interface MqttLimits {
  /** Largest packet (bytes after the fixed header) from a client that signed in. */
  maxPacketBytes: number;
  /** Largest packet before the broker accepted the CONNECT: credentials and a last will only. */
  maxConnectBytes: number;
  /** Largest PUBLISH with the retain flag: the broker keeps it in memory for good. */
  maxRetainedBytes: number;
  /** A socket that has not signed in by then is closed (TLS handshake included). */
  connectTimeoutMs: number;
}

export type GuardRefusal = 'first_packet_not_connect' | 'connect_too_large' | 'packet_too_large' | 'retained_too_large' | 'malformed_length' | 'connect_timeout';

const CONNECT = 1;
const PUBLISH = 3;

/**
 * Sits between a client's socket and the broker (aedes reads it as its connection) and reads
 * only MQTT's fixed header: a type byte, then the remaining length in 1 to 4 bytes of 7 bits
 * (MQTT 3.1.1 section 2.2). So a packet's size is known from its first five bytes, and one
 * that is too large is refused before its body arrives: the broker's parser, which gathers
 * a whole packet in memory before it looks at it, never holds more than the limit. A socket
 * that does not sign in within the timeout is closed, whatever it sends meanwhile.
 *
 * Bytes pass through unchanged; the guard keeps only its place in the stream.
 */
export class MqttGuard extends Duplex {
  /** Set by the listener once the broker accepted this client's CONNECT. */
  private signedIn = false;
  private state: 'type' | 'length' | 'body' = 'type';
  private type = 0;
  private flags = 0;
  private length = 0;
  private lengthBytes = 0;
  private left = 0;
  private packets = 0;
  private timer: NodeJS.Timeout | undefined;
  refusal: GuardRefusal | undefined;

  constructor(readonly socket: Socket, private readonly limits: MqttLimits, private readonly onRefuse: (reason: GuardRefusal, detail: Record<string, unknown>) => void) {
    super({ allowHalfOpen: false });
    this.timer = setTimeout(() => this.refuse('connect_timeout', { ms: limits.connectTimeoutMs }), limits.connectTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      if (this.destroyed || !this.inspect(chunk)) return;
      if (!this.push(chunk)) socket.pause();
    });
    socket.once('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.once('close', () => this.destroy());
  }

  /** The broker accepted the CONNECT: the larger limits apply from now on. */
  accept(): void {
    this.signedIn = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.socket.destroyed) return done(new Error('socket closed'));
    this.socket.write(chunk, encoding, done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.socket.end(() => done());
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.socket.destroy();
    done(err);
  }

  /** Walks the chunk's packet boundaries; false (and the socket closed) on the first breach. */
  private inspect(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const take = Math.min(this.left, chunk.length - i);
        this.left -= take;
        i += take;
        if (this.left === 0) this.state = 'type';
        continue;
      }
      const byte = chunk[i++]!;
      if (this.state === 'type') {
        this.type = byte >> 4;
        this.flags = byte & 0x0f;
        this.length = 0;
        this.lengthBytes = 0;
        this.state = 'length';
        continue;
      }
      this.length += (byte & 0x7f) * 128 ** this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return this.refuse('malformed_length', {});
        continue;
      }
      if (!this.check()) return false;
      this.packets++;
      this.left = this.length;
      this.state = this.left > 0 ? 'body' : 'type';
    }
    return true;
  }

  private check(): boolean {
    const bytes = this.length;
    if (!this.signedIn) {
      if (this.packets === 0 && this.type !== CONNECT) return this.refuse('first_packet_not_connect', { type: this.type });
      if (bytes > this.limits.maxConnectBytes) return this.refuse('connect_too_large', { bytes, limit: this.limits.maxConnectBytes });
      return true;
    }
    if (bytes > this.limits.maxPacketBytes) return this.refuse('packet_too_large', { bytes, limit: this.limits.maxPacketBytes });
    if (this.type === PUBLISH && this.flags & 1 && bytes > this.limits.maxRetainedBytes) {
      return this.refuse('retained_too_large', { bytes, limit: this.limits.maxRetainedBytes });
    }
    return true;
  }

  private refuse(reason: GuardRefusal, detail: Record<string, unknown>): false {
    if (this.refusal) return false;
    this.refusal = reason;
    this.onRefuse(reason, detail);
    this.socket.destroy();
    this.destroy();
    return false;
  }
}
