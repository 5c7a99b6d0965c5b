import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LinkSim, reset, seededRandom } from './link-sim.ts';
import type { LinkOptions } from './link-sim.ts';

// Timing windows are wide on purpose: CI here is a noisy 2-core box.

interface Hq {
  port: number;
  /** Bytes the server has received, over all connections. */
  received: () => number;
  accepted: () => number;
  close: () => Promise<void>;
}

/** A server on 127.0.0.1:0; `onSocket` decides what it does (echo by default). */
async function startHq(onSocket: (socket: net.Socket) => void = (s) => s.pipe(s)): Promise<Hq> {
  let received = 0;
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // resets from the link are the point of some tests
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    onSocket(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    received: () => received,
    accepted: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Runs `body` with an HQ and a started link in front of it, and always tears both down. */
async function withLink(
  shape: Omit<LinkOptions, 'target'>,
  body: (link: LinkSim, hq: Hq) => Promise<void>,
  onSocket?: (socket: net.Socket) => void,
): Promise<void> {
  const hq = await startHq(onSocket);
  const link = new LinkSim({ target: { host: '127.0.0.1', port: hq.port }, ...shape });
  await link.start();
  try {
    await body(link, hq);
  } finally {
    await link.stop();
    await hq.close();
  }
}

interface Client {
  socket: net.Socket;
  data: () => Buffer;
  /** Resolves once at least `bytes` have arrived. */
  waitFor: (bytes: number, timeoutMs?: number) => Promise<Buffer>;
  closed: Promise<void>;
}

async function connect(port: number): Promise<Client> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  socket.setNoDelay(true);
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  let total = 0;
  let waiter: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    total += chunk.length;
    waiter?.();
  });
  // Not events.once: it rejects on 'error', and a reset is an expected way to close here.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await once(socket, 'connect');
  const data = () => Buffer.concat(chunks);
  const waitFor = (bytes: number, timeoutMs = 5000) =>
    new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${total} of ${bytes} bytes`)), timeoutMs);
      waiter = () => {
        if (total < bytes) return;
        clearTimeout(timer);
        waiter = null;
        resolve(data());
      };
      waiter();
    });
  return { socket, data, waitFor, closed };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function roundTrip(client: Client, byte = 'x'): Promise<number> {
  const start = performance.now();
  const wanted = client.data().length + byte.length;
  client.socket.write(byte);
  await client.waitFor(wanted);
  return performance.now() - start;
}

test('a 1 MB random buffer round-trips byte-identical, even with jitter', async () => {
  await withLink({ latencyMs: 5, jitterMs: 5, random: seededRandom(1) }, async (link) => {
    const payload = randomBytes(1024 * 1024);
    const client = await connect(link.port);
    client.socket.write(payload);
    const echoed = await client.waitFor(payload.length, 10_000);
    assert.ok(echoed.equals(payload), 'echo differs from what was sent');
    const stats = link.stats;
    assert.is(stats.bytesUp, payload.length);
    assert.is(stats.bytesDown, payload.length);
    assert.is(stats.connections, 1);
    assert.is(stats.active, 1);
    client.socket.destroy();
  });
});

test('the up cap holds: 200 KB at 800 kbit/s takes about 2 s', async () => {
  await withLink({ upKbps: 800 }, async (link, hq) => {
    const size = 200_000;
    const client = await connect(link.port);
    const start = performance.now();
    client.socket.write(Buffer.alloc(size, 1));
    while (hq.received() < size) await sleep(10);
    const seconds = (performance.now() - start) / 1000;
    assert.ok(seconds >= 1.6 && seconds <= 3, `took ${seconds.toFixed(2)} s`);
    client.socket.destroy();
  }, () => {}); // a sink: HQ only reads
});

test('the down cap holds on its own: 50 KB at 800 kbit/s takes about 0.5 s', async () => {
  const size = 50_000;
  await withLink({ downKbps: 800 }, async (link) => {
    const client = await connect(link.port);
    const start = performance.now();
    client.socket.write('go');
    await client.waitFor(size);
    const seconds = (performance.now() - start) / 1000;
    assert.ok(seconds >= 0.4 && seconds <= 1.5, `took ${seconds.toFixed(2)} s`);
    client.socket.destroy();
  }, (socket) => socket.once('data', () => socket.write(Buffer.alloc(size, 2))));
});

test('latency adds about twice itself to a round trip, and set() changes it live', async () => {
  await withLink({ latencyMs: 100 }, async (link) => {
    const client = await connect(link.port);
    const slow = await roundTrip(client);
    assert.ok(slow >= 195 && slow <= 700, `round trip ${slow.toFixed(0)} ms`);
    link.set({ latencyMs: 0 });
    const fast = await roundTrip(client);
    assert.ok(fast < 100, `round trip after set() ${fast.toFixed(0)} ms`);
    client.socket.destroy();
  });
});

test('half-close passes through in order, after the data', async () => {
  await withLink({ latencyMs: 20 }, async (link) => {
    const client = await connect(link.port);
    const ended = once(client.socket, 'end');
    client.socket.end('hello');
    await within(ended, 3000, 'FIN from HQ');
    assert.is(client.data().toString(), 'hello bye');
  }, (socket) => {
    const parts: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => parts.push(chunk));
    // HQ still writes after the device half-closed: that direction must stay open.
    socket.on('end', () => socket.end(`${Buffer.concat(parts)} bye`));
  });
});

test('cut() resets live connections and refuses new ones until restore()', async () => {
  await withLink({}, async (link) => {
    const live = await connect(link.port);
    await roundTrip(live);
    link.cut();
    await within(live.closed, 2000, 'live connection closed by cut()');

    // On loopback the reset can beat the connect callback, so either failure is fine here.
    const refused = net.connect({ host: '127.0.0.1', port: link.port });
    let got = 0;
    refused.on('data', (chunk: Buffer) => (got += chunk.length));
    refused.on('error', () => {});
    const refusedClosed = new Promise((resolve) => refused.once('close', resolve));
    refused.write('anyone?');
    await within(refusedClosed, 2000, 'new connection closed while cut');
    assert.is(got, 0);

    link.restore();
    const after = await connect(link.port);
    await roundTrip(after);
    const stats = link.stats;
    assert.is(stats.drops, 1);
    assert.is(stats.droppedConnections, 1);
    assert.is(stats.refused, 1);
    assert.is(stats.connections, 2);
    after.socket.destroy();
  });
});

test('blackhole swallows bytes both ways but keeps connections; off lets them through', async () => {
  await withLink({}, async (link, hq) => {
    const client = await connect(link.port);
    await roundTrip(client);
    const before = link.stats;
    link.blackhole(true);
    client.socket.write('into the void');
    const late = await connect(link.port); // accepted, but HQ must not see it yet
    await sleep(300);
    assert.is(hq.received(), 1);
    assert.is(hq.accepted(), 1);
    assert.is(client.data().length, 1);
    assert.is(link.stats.bytesUp, before.bytesUp);
    assert.not.ok(client.socket.destroyed, 'blackhole must not close the connection');

    link.blackhole(false);
    const echoed = await client.waitFor(1 + 'into the void'.length, 2000);
    assert.is(echoed.toString(), 'xinto the void');
    await roundTrip(late);
    assert.is(hq.accepted(), 2);
    client.socket.destroy();
    late.socket.destroy();
  });
});

test('dropEveryMs resets connections on schedule and dropOutageMs refuses for a while', async () => {
  await withLink({ dropEveryMs: 300, dropOutageMs: 150 }, async (link) => {
    const client = await connect(link.port);
    await within(client.closed, 2000, 'scheduled drop');
    assert.ok(link.stats.drops >= 1);
    assert.ok(link.stats.droppedConnections >= 1);
    link.set({ dropEveryMs: undefined });
    await sleep(200); // past the outage
    const after = await connect(link.port);
    await roundTrip(after);
    after.socket.destroy();
  });
});

test('random drops happen with a seeded random source', async () => {
  await withLink({ dropProbabilityPerSecond: 0.9, random: seededRandom(42) }, async (link) => {
    const client = await connect(link.port);
    await within(client.closed, 5000, 'random drop');
    const stats = link.stats;
    assert.ok(stats.drops >= 1);
    assert.ok(stats.droppedConnections >= 1);
  });
});

test('backpressure: a reader that stalls does not make the link buffer everything', async () => {
  await withLink({}, async (link) => {
    const client = await connect(link.port);
    // HQ never reads, so its kernel buffers fill and the link must stop reading too.
    client.socket.write(Buffer.alloc(32 * 1024 * 1024));
    await sleep(500);
    assert.ok(link.stats.inFlight <= 4 * 1024 * 1024 + 64 * 1024, `in flight ${link.stats.inFlight}`);
    assert.ok(client.socket.writableLength > 0, 'the sender should be backed up');
    client.socket.destroy();
  }, (socket) => {
    socket.pause();
    socket.removeAllListeners('data');
  });
});

test('HQ down: the client is reset and the error is swallowed and counted', async () => {
  const hq = await startHq();
  await hq.close(); // leaves a port with nobody listening
  const link = new LinkSim({ target: { host: '127.0.0.1', port: hq.port } });
  await link.start();
  try {
    const client = await connect(link.port);
    await within(client.closed, 2000, 'client reset after ECONNREFUSED');
    assert.ok(link.stats.errors >= 1);
    assert.is(link.stats.active, 0);
  } finally {
    await link.stop();
  }
});

test('stop() resolves with live connections and frees the port', async () => {
  const hq = await startHq();
  const link = new LinkSim({ target: { host: '127.0.0.1', port: hq.port }, latencyMs: 50 });
  await link.start();
  const port = link.port;
  const client = await connect(port);
  client.socket.write('in flight');
  await within(link.stop(), 2000, 'stop()');
  await within(client.closed, 2000, 'client closed by stop()');
  const again = new LinkSim({ target: { host: '127.0.0.1', port: hq.port }, listenPort: port });
  await again.start();
  await again.stop();
  await hq.close();
});

test('reset() right after a FIN was queued still closes the socket (no handle left open)', async () => {
  const hq = await startHq();
  try {
    const client = await connect(hq.port);
    const errors: string[] = [];
    client.socket.on('error', (e: NodeJS.ErrnoException) => errors.push(`${e.syscall} ${e.code}`));
    client.socket.end();
    // end() issues the shutdown on the next tick and libuv completes it on the next poll: in
    // between, a reset is refused and Node used to leave the handle open for ever.
    await new Promise((r) => process.nextTick(r));
    assert.ok(client.socket.writableEnded && !client.socket.writableFinished, 'the FIN is queued');
    reset(client.socket);
    await within(client.closed, 2000, 'socket closed');
    assert.equal(errors, []);
  } finally {
    await hq.close();
  }
});

test('bad options are rejected with the key named', () => {
  const target = { host: '127.0.0.1', port: 1 };
  assert.throws(() => new LinkSim({ target, upKbps: 0 }), /upKbps/);
  assert.throws(() => new LinkSim({ target, latencyMs: -1 }), /latencyMs/);
  assert.throws(() => new LinkSim({ target, dropProbabilityPerSecond: 2 }), /dropProbability/);
});



// A request sent just as the line comes back must get its answer or see its connection die:
// a real line never holds bytes for ever. Many connections open while the line is cut and
// restored at random; each sends a request and waits for the whole answer.
test('cut and restore at random: every request gets its whole answer or a reset, never silence', async () => {
  const REQUEST = 568;
  const ANSWER = 2000;
  await withLink({ latencyMs: 30, jitterMs: 10, random: seededRandom(7) }, async (link) => {
    let cutting = true;
    const flapper = (async () => {
      const rnd = seededRandom(11);
      while (cutting) {
        await sleep(rnd() * 150);
        link.cut();
        await sleep(rnd() * 20);
        link.restore();
      }
    })();
    const silent: string[] = [];
    let answered = 0;
    let reset_ = 0;
    const exchange = (i: number) => new Promise<void>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: link.port });
      socket.setNoDelay(true);
      socket.on('error', () => {});
      let got = 0;
      // Latency both ways plus jitter is under 100 ms; two seconds is silence.
      const timer = setTimeout(() => {
        silent.push(`#${i}: ${got} of ${ANSWER} bytes after 2 s, link in flight ${link.stats.inFlight}`);
        socket.destroy();
      }, 2000);
      socket.on('connect', () => socket.write(Buffer.alloc(REQUEST, 1)));
      socket.on('data', (chunk: Buffer) => {
        got += chunk.length;
        if (got >= ANSWER) socket.destroy();
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (got >= ANSWER) answered++;
        else reset_++;
        resolve();
      });
    });
    let next = 0;
    const deadline = performance.now() + 4000;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (performance.now() < deadline) await exchange(next++);
    }));
    cutting = false;
    await flapper;
    assert.equal(silent.slice(0, 5), [], `${silent.length} of ${next} requests met silence (${answered} answered, ${reset_} reset)`);
    assert.ok(answered > 50, `only ${answered} of ${next} answered`);
    await sleep(200);
    assert.is(link.stats.inFlight, 0);
  }, (socket) => {
    let got = 0;
    socket.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got === REQUEST) socket.write(Buffer.alloc(ANSWER, 2));
    });
  });
});
test.run();
