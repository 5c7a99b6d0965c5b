/**
 * A simulated WAN line for tests and benchmarks: a TCP proxy on 127.0.0.1 that sits between
 * a device and HQ and behaves like the slow, dropping ADSL line at a remote scenic spot.
 *
 * Model, per direction of each connection: a segment first waits its turn to be serialised
 * at the line rate (the modem's send buffer), then travels for latency +- jitter, and is
 * written to the far side. Bytes are never reordered, and a FIN travels the same queue as the
 * data ahead of it, so half-close arrives in order too.
 *
 * What is not modelled: packet loss and retransmission (TCP on loopback is lossless), and
 * the handshake round trip (the kernel accepts the client before we see it).
 */
import net from 'node:net';

/** The characteristics of the line; all can be changed live with `LinkSim.set()`. */
export interface LineShape {
  /** Device -> HQ bandwidth cap in kbit/s; undefined = unlimited. */
  upKbps?: number;
  /** HQ -> device bandwidth cap in kbit/s; undefined = unlimited. */
  downKbps?: number;
  /** One-way delay added in each direction. */
  latencyMs?: number;
  /** Uniform +- jitter on the one-way delay; bytes are still never reordered. */
  jitterMs?: number;
  /** Drop the line (reset every live connection) on this period. */
  dropEveryMs?: number;
  /** Chance that the line drops at least once in any given second (Poisson process). */
  dropProbabilityPerSecond?: number;
  /** After a scheduled or random drop, refuse new connections this long (line retraining). */
  dropOutageMs?: number;
}

export interface LinkOptions extends LineShape {
  target: { host: string; port: number };
  /** Port to listen on, on 127.0.0.1; 0 or undefined = ephemeral. */
  listenPort?: number;
  /** Random source in [0, 1) for jitter and random drops; pass `seededRandom(n)` to replay. */
  random?: () => number;
}

export interface LinkStats {
  /** Application bytes forwarded device -> HQ. */
  bytesUp: number;
  /** Application bytes forwarded HQ -> device. */
  bytesDown: number;
  /**
   * Packets that carried them (one per segment of at most 1,460 bytes) plus the pure ACKs a
   * receiver would send: one per data packet not answered by data of its own within 40 ms
   * (delayed ACK, else piggybacked). With `HEADER_BYTES` each, they give the bytes on the
   * wire (handshakes and FINs of new connections not included).
   */
  packetsUp: number;
  packetsDown: number;
  /** Connections accepted and forwarded (refused ones not included). */
  connections: number;
  /** Connections open right now. */
  active: number;
  /** Line drop events: cut(), dropEveryMs and random drops. */
  drops: number;
  /** Live connections reset by those drops. */
  droppedConnections: number;
  /** Connections reset on arrival because the line was down. */
  refused: number;
  /** Socket errors seen and swallowed (ECONNRESET, ECONNREFUSED, EPIPE...). */
  errors: number;
  /** Bytes read from one side and not yet written to the other. */
  inFlight: number;
}

/** Small seedable PRNG (mulberry32) so a flaky-line scenario can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Slicing capped traffic into packet-sized pieces lets the far side see a steady trickle,
// as on a real line, instead of one 64 KiB read arriving in a lump after half a second.
const SEGMENT_BYTES = 1460;
// The modem's send buffer: past this much unsent data we stop reading from the sender, so
// its writes back up as they would on the real line instead of piling up in our memory.
const MAX_BACKLOG_BYTES = 64 * 1024;
// Safety net for uncapped lines with latency, where nothing else bounds the queue.
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** IPv4 (20) + TCP (20) + the timestamps option (12) Linux sends on every segment. */
export const HEADER_BYTES = 52;
/** Linux's delayed-ACK timer (minimum): data sent back within it carries the ACK. */
const DELAYED_ACK_MS = 40;

/** Bytes on the wire between two stats snapshots, headers included. */
export function wireBytes(before: LinkStats, after: LinkStats): { up: number; down: number } {
  return {
    up: after.bytesUp - before.bytesUp + (after.packetsUp - before.packetsUp) * HEADER_BYTES,
    down: after.bytesDown - before.bytesDown + (after.packetsDown - before.packetsDown) * HEADER_BYTES,
  };
}

// Timers may fire a fraction of a millisecond before performance.now() says a segment is due.
const TIMER_SLACK_MS = 1;

interface Lane {
  kbps: number | undefined;
  latencyMs: number;
  jitterMs: number;
}

/** A segment on the wire; `data: null` is the FIN. */
interface Segment {
  at: number;
  data: Buffer | null;
}

interface DirectionHooks {
  lane: () => Lane;
  random: () => number;
  /** A segment (one packet) of `bytes` reached the far side. */
  delivered: (bytes: number) => void;
  /** The destination is gone while we still hold bytes for it: TCP would answer with RST. */
  broken: () => void;
}

/** One direction of one connection: a delivery queue from `source` to `dest`. */
class Direction {
  dest: net.Socket | null = null;
  queuedBytes = 0;
  private readonly source: net.Socket;
  private readonly hooks: DirectionHooks;
  private queue: Segment[] = [];
  private lastSentAt = 0; // when the last queued byte has left the modem
  private lastArrivalAt = 0; // when the last queued segment reaches the far side
  private frozenAt: number | null = null;
  private waitingDrain = false;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;
  private holdTimer: NodeJS.Timeout | undefined;

  constructor(source: net.Socket, hooks: DirectionHooks) {
    this.source = source;
    this.hooks = hooks;
  }

  /** The line died silently: whatever comes in is lost, nothing goes out, no FIN, no RST. */
  discard(): void {
    this.discarding = true;
    this.dispose();
    this.flow();
  }

  private discarding = false;

  push(data: Buffer | null): void {
    if (this.discarding) return;
    const now = performance.now();
    const { kbps, latencyMs, jitterMs } = this.hooks.lane();
    for (const piece of data && kbps ? slice(data, SEGMENT_BYTES) : [data]) {
      const bytes = piece?.length ?? 0;
      // kbit/s is bits per millisecond.
      this.lastSentAt = Math.max(now, this.lastSentAt) + (kbps ? (bytes * 8) / kbps : 0);
      const jitter = jitterMs ? (this.hooks.random() * 2 - 1) * jitterMs : 0;
      // Clamping to the previous arrival is what keeps jitter from reordering the stream.
      const at = Math.max(this.lastSentAt + Math.max(0, latencyMs + jitter), this.lastArrivalAt);
      this.lastArrivalAt = at;
      this.queue.push({ at, data: piece });
      this.queuedBytes += bytes;
    }
    this.pump();
  }

  /** Dead line: stop reading and delivering, but keep what is in flight. */
  freeze(): void {
    if (this.frozenAt !== null) return;
    this.frozenAt = performance.now();
    clearTimeout(this.timer);
    this.flow();
  }

  /**
   * Line back: resume as if time had stood still while it was dead, the way TCP retransmits
   * after an outage, so the stream stays intact and the rate cap still holds afterwards.
   */
  thaw(): void {
    if (this.frozenAt === null) return;
    const outage = performance.now() - this.frozenAt;
    this.frozenAt = null;
    for (const segment of this.queue) segment.at += outage;
    this.lastSentAt += outage;
    this.lastArrivalAt += outage;
    this.pump();
  }

  dispose(): void {
    clearTimeout(this.timer);
    clearTimeout(this.holdTimer);
    this.queue = [];
    this.queuedBytes = 0;
  }

  pump(): void {
    const dest = this.dest;
    if (this.frozenAt !== null || !dest) return this.flow();
    clearTimeout(this.timer);
    const now = performance.now();
    let head = this.queue[0];
    while (head && head.at <= now + TIMER_SLACK_MS) {
      this.queue.shift();
      if (dest.destroyed) return this.hooks.broken();
      if (head.data === null) {
        dest.end();
      } else {
        this.queuedBytes -= head.data.length;
        this.hooks.delivered(head.data.length);
        if (!dest.write(head.data) && !this.waitingDrain) {
          this.waitingDrain = true;
          dest.once('drain', () => {
            this.waitingDrain = false;
            this.flow();
          });
        }
      }
      head = this.queue[0];
    }
    if (head) this.timer = setTimeout(() => this.pump(), head.at - now);
    this.flow();
  }

  /** Pause or resume the source so that neither we nor the receiver buffer without bound. */
  private flow(): void {
    const { kbps } = this.hooks.lane();
    const backlog = kbps ? (Math.max(0, this.lastSentAt - performance.now()) * kbps) / 8 : 0;
    const hold =
      this.frozenAt !== null ||
      this.waitingDrain ||
      this.queuedBytes > MAX_QUEUED_BYTES ||
      backlog > MAX_BACKLOG_BYTES;
    if (hold !== this.paused) {
      this.paused = hold;
      if (hold) this.source.pause();
      else this.source.resume();
    }
    clearTimeout(this.holdTimer);
    // Nothing else wakes us when only the backlog holds us back, so wake when half has gone.
    if (kbps && backlog > MAX_BACKLOG_BYTES) {
      const wait = ((backlog - MAX_BACKLOG_BYTES / 2) * 8) / kbps;
      this.holdTimer = setTimeout(() => this.flow(), wait);
    }
  }
}

function slice(data: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) pieces.push(data.subarray(at, at + size));
  return pieces;
}

/**
 * Reset rather than FIN: a dropped line must look like a failure, never a clean close.
 * libuv refuses to reset a socket whose FIN (shutdown) is still queued, and Node then drops
 * the handle without closing it: the process can never exit (it spins in its exit cleanup).
 * Such a socket is already closing its side, so it is simply destroyed.
 */
export function reset(socket: net.Socket): void {
  if (socket.destroyed) return;
  const shutting = socket.writableEnded && !socket.writableFinished;
  if (socket.connecting || shutting) socket.destroy();
  else socket.resetAndDestroy();
}

interface ConnectionContext {
  target: () => { host: string; port: number };
  lane: (direction: 'up' | 'down') => Lane;
  random: () => number;
  counters: Omit<LinkStats, 'active' | 'inFlight'>;
  closed: (connection: Connection) => void;
}

/** A client socket, its upstream socket to HQ, and the two directions between them. */
class Connection {
  private readonly client: net.Socket;
  private readonly ctx: ConnectionContext;
  private upstream: net.Socket | null = null;
  private readonly up: Direction;
  private down: Direction | null = null;
  private finished = false;

  constructor(client: net.Socket, ctx: ConnectionContext, blackholed: boolean) {
    this.client = client;
    this.ctx = ctx;
    this.up = this.direction(client, 'up');
    this.watch(client);
    client.on('data', (chunk: Buffer) => this.up.push(chunk));
    client.on('end', () => this.up.push(null));
    // On a dead line the SYN would never reach HQ, so HQ must not see the connection yet.
    if (blackholed) this.up.freeze();
    else this.open();
  }

  get inFlight(): number {
    return this.up.queuedBytes + (this.down?.queuedBytes ?? 0);
  }

  freeze(): void {
    this.up.freeze();
    this.down?.freeze();
  }

  /** Both directions lose everything from now on (see LinkSim.silence). */
  discard(): void {
    this.up.discard();
    this.down?.discard();
  }

  thaw(): void {
    if (!this.upstream) this.open();
    this.up.thaw();
    this.down?.thaw();
  }

  abort(): void {
    reset(this.client);
    if (this.upstream) reset(this.upstream);
    this.finish();
  }

  private open(): void {
    const { host, port } = this.ctx.target();
    const upstream = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    const down = this.direction(upstream, 'down');
    this.upstream = upstream;
    this.down = down;
    down.dest = this.client;
    this.up.dest = upstream;
    this.watch(upstream);
    upstream.on('data', (chunk: Buffer) => down.push(chunk));
    upstream.on('end', () => down.push(null));
    // Node buffers writes until connected, so anything the client already sent can go now.
    this.up.pump();
  }

  /** Per direction of travel: a pure ACK owed by its receiver, and its timer. */
  private readonly ackOwed: Record<'up' | 'down', NodeJS.Timeout | undefined> = { up: undefined, down: undefined };

  private direction(source: net.Socket, name: 'up' | 'down'): Direction {
    const counters = this.ctx.counters;
    const back = name === 'up' ? 'down' : 'up';
    return new Direction(source, {
      lane: () => this.ctx.lane(name),
      random: this.ctx.random,
      delivered: (bytes) => {
        if (name === 'up') { counters.bytesUp += bytes; counters.packetsUp++; } else { counters.bytesDown += bytes; counters.packetsDown++; }
        // Data this way carries the ACK its sender owed for data the other way.
        clearTimeout(this.ackOwed[back]);
        this.ackOwed[back] = undefined;
        if (!this.ackOwed[name]) {
          this.ackOwed[name] = setTimeout(() => {
            this.ackOwed[name] = undefined;
            if (name === 'up') counters.packetsDown++;
            else counters.packetsUp++;
          }, DELAYED_ACK_MS);
        }
      },
      broken: () => this.abort(),
    });
  }

  private watch(socket: net.Socket): void {
    socket.on('error', () => {
      this.ctx.counters.errors++;
    });
    socket.on('close', (hadError: boolean) => {
      // An error on one side is passed on as a reset of the other, as a router would; a
      // clean close is not, since the other direction may still be delivering.
      if (hadError) this.abort();
      else if (this.client.destroyed && (this.upstream?.destroyed ?? true)) this.finish();
    });
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.ackOwed.up);
    clearTimeout(this.ackOwed.down);
    this.up.dispose();
    this.down?.dispose();
    this.ctx.closed(this);
  }
}

/** A TCP proxy on 127.0.0.1 that puts a simulated WAN line in front of `target`. */
export class LinkSim {
  private readonly target: { host: string; port: number };
  private readonly listenPort: number;
  private readonly shape: LineShape;
  private readonly random: () => number;
  // Drops get their own stream so that the drop schedule replays the same for a given seed
  // whatever the traffic, which consumes the main stream for jitter.
  private readonly dropRandom: () => number;
  private readonly counters: ConnectionContext['counters'] = {
    bytesUp: 0,
    bytesDown: 0,
    packetsUp: 0,
    packetsDown: 0,
    connections: 0,
    drops: 0,
    droppedConnections: 0,
    refused: 0,
    errors: 0,
  };
  private readonly connections = new Set<Connection>();
  private readonly ctx: ConnectionContext;
  private server: net.Server | null = null;
  private isCut = false;
  private blackholed = false;
  private dropTimer: NodeJS.Timeout | undefined;
  private randomDropTimer: NodeJS.Timeout | undefined;
  private outageTimer: NodeJS.Timeout | undefined;

  constructor(opts: LinkOptions) {
    const { target, listenPort, random, ...shape } = opts;
    checkShape(shape);
    this.target = { ...target };
    this.listenPort = listenPort ?? 0;
    this.shape = { ...shape };
    this.random = random ?? Math.random;
    this.dropRandom = seededRandom(Math.floor(this.random() * 2 ** 32));
    this.ctx = {
      target: () => this.target,
      lane: (direction) => ({
        kbps: direction === 'up' ? this.shape.upKbps : this.shape.downKbps,
        latencyMs: this.shape.latencyMs ?? 0,
        jitterMs: this.shape.jitterMs ?? 0,
      }),
      random: this.random,
      counters: this.counters,
      closed: (connection) => this.connections.delete(connection),
    };
  }

  get port(): number {
    const address = this.server?.address();
    if (!address || typeof address === 'string') throw new Error('LinkSim is not started');
    return address.port;
  }

  /** A snapshot, so benchmarks can keep one and diff it against a later one. */
  get stats(): LinkStats {
    let inFlight = 0;
    for (const connection of this.connections) inFlight += connection.inFlight;
    return { ...this.counters, active: this.connections.size, inFlight };
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
      this.accept(socket),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Accept errors (e.g. EMFILE) must not crash a test run; they surface as failed connects.
    server.on('error', () => {
      this.counters.errors++;
    });
    this.server = server;
    this.scheduleDrops();
    this.scheduleRandomDrop();
  }

  /** Closes everything, live connections included, and resolves once the port is free. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.clearTimers();
    for (const connection of this.connections) connection.abort();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Line down until restore(): live connections are reset, new ones reset on arrival. */
  cut(): void {
    this.isCut = true;
    this.drop();
  }

  /** Line back up, also ending any outage after a scheduled or random drop. */
  restore(): void {
    this.isCut = false;
    clearTimeout(this.outageTimer);
    this.outageTimer = undefined;
  }

  /**
   * A dead line that nobody has noticed yet: connections are accepted and kept, but nothing
   * moves either way. Bytes are held, not lost (TCP would retransmit them), and flow again
   * once it is turned off; a new connection reaches HQ only then.
   */
  blackhole(on: boolean): void {
    this.blackholed = on;
    for (const connection of this.connections) {
      if (on) connection.freeze();
      else connection.thaw();
    }
  }

  /**
   * The line dies without a word (a modem that lost sync, a cable pulled upstream): packets
   * are dropped both ways on every live connection, which stays open with neither FIN nor
   * RST, so only the endpoints' own timers can notice. New connections hang (their SYN is
   * lost) until `silence(false)`; the silenced ones stay dead.
   */
  silence(on: boolean): void {
    if (on) for (const connection of this.connections) connection.discard();
    this.blackhole(on);
  }

  /** Change the line live; caps and latency apply to bytes read from now on. */
  set(shape: Partial<LineShape>): void {
    checkShape(shape);
    Object.assign(this.shape, shape);
    if (!this.server) return;
    if ('dropEveryMs' in shape) this.scheduleDrops();
    if ('dropProbabilityPerSecond' in shape) this.scheduleRandomDrop();
  }

  private accept(socket: net.Socket): void {
    if (this.isCut || this.outageTimer !== undefined || !this.server) {
      socket.on('error', () => {
        this.counters.errors++;
      });
      this.counters.refused++;
      reset(socket);
      return;
    }
    this.counters.connections++;
    this.connections.add(new Connection(socket, this.ctx, this.blackholed));
  }

  private drop(): void {
    this.counters.drops++;
    for (const connection of this.connections) {
      this.counters.droppedConnections++;
      connection.abort();
    }
  }

  private dropWithOutage(): void {
    this.drop();
    const outage = this.shape.dropOutageMs;
    if (!outage) return;
    clearTimeout(this.outageTimer);
    this.outageTimer = setTimeout(() => {
      this.outageTimer = undefined;
    }, outage);
  }

  private scheduleDrops(): void {
    clearInterval(this.dropTimer);
    this.dropTimer = undefined;
    const every = this.shape.dropEveryMs;
    if (every) this.dropTimer = setInterval(() => this.dropWithOutage(), every);
  }

  private scheduleRandomDrop(): void {
    clearTimeout(this.randomDropTimer);
    this.randomDropTimer = undefined;
    const p = this.shape.dropProbabilityPerSecond;
    if (!p) return;
    // P(at least one drop in 1 s) = p gives a Poisson rate of -ln(1 - p) per second; the
    // clamp keeps p = 1 meaning "very often" rather than "infinitely often".
    const perSecond = -Math.log(1 - Math.min(p, 0.999));
    const waitMs = (-Math.log(1 - this.dropRandom()) / perSecond) * 1000;
    this.randomDropTimer = setTimeout(() => {
      this.dropWithOutage();
      this.scheduleRandomDrop();
    }, waitMs);
  }

  private clearTimers(): void {
    clearInterval(this.dropTimer);
    clearTimeout(this.randomDropTimer);
    clearTimeout(this.outageTimer);
    this.dropTimer = this.randomDropTimer = this.outageTimer = undefined;
  }
}

/** Reject nonsense early, naming the bad key, rather than dividing by zero later. */
function checkShape(shape: Partial<LineShape>): void {
  const positive = ['upKbps', 'downKbps', 'dropEveryMs'] as const;
  const nonNegative = ['latencyMs', 'jitterMs', 'dropOutageMs'] as const;
  for (const key of positive) {
    const value = shape[key];
    if (value !== undefined && !(value > 0 && Number.isFinite(value))) {
      throw new RangeError(`LinkSim: ${key} must be a positive number, got ${value}`);
    }
  }
  for (const key of nonNegative) {
    const value = shape[key];
    if (value !== undefined && !(value >= 0 && Number.isFinite(value))) {
      throw new RangeError(`LinkSim: ${key} must be zero or more, got ${value}`);
    }
  }
  const p = shape.dropProbabilityPerSecond;
  if (p !== undefined && !(p >= 0 && p <= 1)) {
    throw new RangeError(`LinkSim: dropProbabilityPerSecond must be within [0, 1], got ${p}`);
  }
}
