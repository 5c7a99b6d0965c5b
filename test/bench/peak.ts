/**
 * Peak sales (npm run bench:peak): HQ in its own process (so its CPU is its own), on PGlite
 * and, where TEST_DATABASE_URL names one, on the Postgres server; C concurrent clients over
 * real HTTP. Per backend:
 *   - baseline: N bookings (book + pay) on a day without time slots (the path before slots);
 *   - slots:    N bookings into one day's slots (a hot slot row: 2 slots), quota 95 % of N,
 *               then the slot counts are checked against the tickets bound: `oversold` must be 0;
 *   - window:   N window orders (POST /orders, cash) as the administrator.
 * Progress on stderr; the last line of stdout is one JSON object.
 *
 * Per run also HQ's CPU per sale and, on the durable server, the server's (`*_server_cpu_ms_per_sale`).
 *
 * The floor, in the same run: the clients sending pairs of requests that touch no database
 * (GET /health twice: a sale is two requests), `*_floor_per_s`; `*_to_floor` is the slots'
 * rate as a share of it. The clients' CPU per sale (`*_client_cpu_ms_per_sale`) and, on the
 * durable server, `*_cpu_ceiling_per_s` = cores x 1000 / (clients' + HQ's + server's CPU ms per
 * sale): the most this machine could sell with no waiting at all, since all three share it.
 *
 * Env: PEAK_N (default 600), PEAK_C (default 50), PEAK_ONLY=pglite|pg (one backend only),
 * PEAK_PROF=<dir> (HQ's V8 CPU profile), PEAK_PG=durable|test|both (default durable),
 * PEAK_PG_SOCKET=1 (HQ reaches the durable server by its Unix socket; `pg_link` says which).
 *
 * Postgres: the issue asks for durability kept (fsync and synchronous_commit on), and the
 * suites' server (test/support/postgres.sh) runs with fsync off, which is server-wide. So the
 * bench starts a durable server of its own (the same script, PG_TEST_FSYNC=on, port 54339)
 * and measures there (`pg_*`); PEAK_PG=both also measures on TEST_DATABASE_URL's server
 * (`pg_nofsync_*`, for comparison with earlier figures), PEAK_PG=test only there.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { businessDay, addDays, DEFAULT_TZ } from '../../shared/time/zone.ts';
import { freshPostgres } from '../support/cloud.ts';

const N = Number(process.env.PEAK_N ?? 600);
const C = Number(process.env.PEAK_C ?? 50);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const say = (m: string) => process.stderr.write(`[bench:peak] ${m}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** CPU time of a process so far, ms (Linux /proc; utime + stime in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/**
 * CPU time of a Postgres server so far, ms: its postmaster, its live processes (backends,
 * writers) and those it has reaped. Only for the durable server the bench starts (its data
 * directory is known); on 2 cores the server's CPU is taken from HQ's, so it counts too.
 */
function pgCpuMs(dataDir: string | undefined): number | undefined {
  if (!dataDir) return undefined;
  try {
    const master = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const stat = (pid: number | string) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const m = stat(master);
    let ticks = Number(m[11]) + Number(m[12]) + Number(m[13]) + Number(m[14]);
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const f = stat(pid);
        if (Number(f[1]) === master) ticks += Number(f[11]) + Number(f[12]);
      } catch { /* gone meanwhile */ }
    }
    return ticks * 10;
  } catch {
    return undefined;
  }
}

interface Hq { url: string; child: ChildProcess; stop(): Promise<void> }

async function startHq(databaseUrl?: string): Promise<Hq> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tk-peak-'));
  const port = await freePort();
  // PEAK_PROF=<dir>: HQ writes a V8 CPU profile there when it stops (where the time goes).
  const prof = process.env.PEAK_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.PEAK_PROF] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'cloud/main.ts'], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env, DATA_DIR: dataDir, HTTP_PORT: String(port), MQTT_PORT: String(await freePort()), ADMIN_PASSWORD: 'bench-admin-password',
      WEB_DIR: 'off', LOG_LEVEL: 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/api/v1/health`)).ok) break;
    } catch { /* not up yet (PGlite's migrations on a fresh directory take minutes on a loaded machine) */ }
    if (i > 3000 || child.exitCode !== null) throw new Error('HQ did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, child,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The clients' HTTP: node:http over kept-alive connections, one per client. The clients stand
 * for channels' servers elsewhere; here they share HQ's cores, and fetch (undici) took about
 * twice their CPU per request (bench:peak's `*_client_cpu_ms_per_sale`).
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: C });
function call(url: string, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any }> {
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, {
      agent, method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json', ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }), ...init.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function setup(url: string) {
  const token = (await call(url, '/api/v1/auth/login', { body: { username: 'admin', password: 'bench-admin-password' } })).body.token as string;
  const admin = { authorization: `Bearer ${token}` };
  await call(url, '/api/v1/ticket-types', { body: { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 }, headers: admin });
  const ch = await call(url, '/api/v1/channels/admin', { body: { code: 'ota', name: 'OTA', kind: 'ota', cancelCutoffMinutes: 0 }, headers: admin });
  await call(url, '/api/v1/channels/admin/ota/prices', { method: 'PUT', body: { prices: [{ type: 'adult', priceFen: 10000 }] }, headers: admin });
  return { admin, key: ch.body.apiKey as string };
}

interface Run { perS: number; p50: number; p99: number; ok: number; refused: number; errors: number; cpuPerSale: number; clientCpuPerSale: number; pgCpuPerSale?: number }

/** C workers take N jobs; each job's latency is measured; only 2xx count as sales. */
async function load(hq: Hq, job: (i: number) => Promise<boolean>, pgDir?: string): Promise<Run> {
  const lat: number[] = [];
  let ok = 0;
  let refused = 0;
  let errors = 0;
  let next = 0;
  const cpu0 = cpuMs(hq.child.pid!);
  const client0 = process.cpuUsage();
  const pg0 = pgCpuMs(pgDir);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: C }, async () => {
    for (;;) {
      const i = next++;
      if (i >= N) return;
      const s = performance.now();
      // A dropped connection counts as a failed sale, not a crash of the bench.
      if (await job(i).catch(() => { errors++; return false; })) ok++;
      else refused++;
      lat.push(performance.now() - s);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuMs(hq.child.pid!) - cpu0;
  const client = process.cpuUsage(client0);
  const pg1 = pgCpuMs(pgDir);
  lat.sort((a, b) => a - b);
  const q = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!);
  return { perS: Math.round((ok / secs) * 10) / 10, p50: q(0.5), p99: q(0.99), ok, refused, errors, cpuPerSale: Math.round((cpu / Math.max(ok, 1)) * 10) / 10,
    clientCpuPerSale: Math.round(((client.user + client.system) / 1000 / Math.max(ok, 1)) * 10) / 10,
    ...(pg0 !== undefined && pg1 !== undefined ? { pgCpuPerSale: Math.round(((pg1 - pg0) / Math.max(ok, 1)) * 10) / 10 } : {}) };
}

async function backend(name: string, databaseUrl?: string, pgDir?: string) {
  say(`${name}: starting HQ`);
  const hq = await startHq(databaseUrl);
  try {
    const { admin, key } = await setup(hq.url);
    const day0 = businessDay(Date.now(), DEFAULT_TZ);
    const plainDay = addDays(day0, 1);
    const slotDay = addDays(day0, 2);
    const quota = Math.floor(N * 0.95);
    await call(hq.url, '/api/v1/slots/demo/main', { body: { fromDay: slotDay, toDay: slotDay, start: '08:00', end: '12:00', everyMinutes: 120, quota: Math.ceil(quota / 2), walkIn: 0 }, headers: admin });
    const book = (day: string, slot: string | undefined, tag: string) => async (i: number) => {
      const h = { 'X-Channel-Key': key, 'Idempotency-Key': `${tag}-${i}` };
      const b = await call(hq.url, '/api/v1/channels/bookings', {
        body: { visitDay: day, ...(slot ? { slot } : {}), items: [{ type: 'adult', quantity: 1 }], contact: { name: '游客', phone: `139${String(i).padStart(8, '0')}` } }, headers: h,
      });
      if (b.status !== 201) return false;
      const p = await call(hq.url, `/api/v1/channels/bookings/${b.body.orderNo}/pay`, { body: { amountFen: b.body.totalFen, paymentRef: `P-${tag}-${i}` }, headers: { ...h, 'Idempotency-Key': `${tag}-pay-${i}` } });
      return p.status === 200;
    };
    say(`${name}: warm-up`);
    await load(hq, book(plainDay, undefined, 'warm')).catch(() => undefined);
    // The floor: what this machine does with two requests that touch no database (a sale is
    // two: book and pay), from the same clients; a sale's rate reads as a share of it.
    const health = async () => (await call(hq.url, '/api/v1/health', {})).status === 200;
    const floor = await load(hq, async () => (await health()) && health());
    say(`${name}: floor (2 requests without the database) ${JSON.stringify(floor)}`);
    say(`${name}: baseline, ${N} bookings (book + pay) from ${C} clients, a day without slots`);
    const baseline = await load(hq, book(addDays(day0, 3), undefined, 'base'), pgDir);
    say(`${name}: baseline ${JSON.stringify(baseline)}`);
    say(`${name}: slots, ${N} bookings into 2 slots of ${Math.ceil(quota / 2)}`);
    const slots = await load(hq, (i) => book(slotDay, i % 2 ? '10:00' : '08:00', 'slot')(i), pgDir);
    say(`${name}: slots ${JSON.stringify(slots)}`);
    const listed = (await call(hq.url, `/api/v1/slots/demo/main?day=${slotDay}`, { headers: admin })).body.items as { quota: number; sold: number; soldWalkIn: number }[];
    const oversold = listed.reduce((n, s) => n + Math.max(0, s.sold + s.soldWalkIn - s.quota), 0) + Math.max(0, slots.ok - listed.reduce((n, s) => n + s.quota, 0));
    say(`${name}: window, ${N} orders`);
    const window = await load(hq, async (i) => (await call(hq.url, '/api/v1/orders', {
      body: { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'cash', amountFen: 12000, tenderedFen: 12000 }] }, headers: { ...admin, 'Idempotency-Key': `w-${i}` },
    })).status === 201, pgDir);
    say(`${name}: window ${JSON.stringify(window)}`);
    let fsync: string | undefined;
    if (databaseUrl) {
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      fsync = `${(await c.query('show fsync')).rows[0].fsync}/${(await c.query('show synchronous_commit')).rows[0].synchronous_commit}`;
      await c.end();
    }
    return { baseline, slots, window, oversold, fsync, floor };
  } finally {
    await hq.stop();
  }
}

const out: Record<string, unknown> = { n: N, clients: C, cores: availableParallelism() };
const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : null);
const only = process.env.PEAK_ONLY;
const skipped = { perS: 0, p50: 0, p99: 0, ok: 0, refused: 0, errors: 0, cpuPerSale: 0, clientCpuPerSale: 0 };
const lite = only === 'pg' ? { baseline: skipped, slots: skipped, window: skipped, oversold: 0, floor: skipped } : await backend('pglite');
if (only !== 'pg') Object.assign(out, {
  pglite_baseline_per_s: lite.baseline.perS, pglite_baseline_p99_ms: lite.baseline.p99,
  pglite_per_s: lite.slots.perS, pglite_p50_ms: lite.slots.p50, pglite_p99_ms: lite.slots.p99, pglite_hq_cpu_ms_per_sale: lite.slots.cpuPerSale,
  pglite_window_per_s: lite.window.perS, pglite_window_p99_ms: lite.window.p99, pglite_window_hq_cpu_ms_per_sale: lite.window.cpuPerSale,
  pglite_oversold: lite.oversold, pglite_floor_per_s: lite.floor.perS, pglite_to_floor: ratio(lite.slots.perS, lite.floor.perS),
});
let oversold = lite.oversold;

/** The durable server: started here, stopped at the end (its data directory is kept for the next run). */
function durableServer(): { url: string; dir: string; stop(): void } {
  const env = { ...process.env, PG_TEST_PORT: '54339', PG_TEST_DIR: '/tmp/tk-postgres-peak-54339', PG_TEST_FSYNC: 'on' };
  const script = join(ROOT, 'test/support/postgres.sh');
  const line = execFileSync('bash', [script, 'start'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return { url: /TEST_DATABASE_URL=(\S+)/.exec(line)![1]!, dir: env.PG_TEST_DIR, stop: () => execFileSync('bash', [script, 'stop'], { env, stdio: 'ignore' }) };
}

async function measurePg(admin: string | undefined, prefix: string, pgDir?: string): Promise<boolean> {
  const pg = await freshPostgres(admin);
  if (!pg) return false;
  try {
    // PEAK_PG_SOCKET=1: HQ reaches the durable server by its Unix socket (the server listens in
    // /tmp), as HQ on the database's own machine would; by TCP on loopback otherwise.
    const socket = prefix === 'pg' && process.env.PEAK_PG_SOCKET === '1';
    const hqUrl = socket ? pg.url.replace(/@127\.0\.0\.1:(\d+)\//, '@%2Ftmp:$1/') : pg.url;
    const r = await backend(prefix === 'pg' ? `postgres (durable, ${socket ? 'Unix socket' : 'TCP'})` : 'postgres (test server)', hqUrl, pgDir);
    oversold += r.oversold;
    const p = (k: string) => `${prefix}_${k}`;
    Object.assign(out, {
      [p('baseline_per_s')]: r.baseline.perS, [p('baseline_p99_ms')]: r.baseline.p99,
      [p('per_s')]: r.slots.perS, [p('p50_ms')]: r.slots.p50, [p('p99_ms')]: r.slots.p99,
      [prefix === 'pg' ? 'hq_cpu_ms_per_sale' : p('hq_cpu_ms_per_sale')]: r.slots.cpuPerSale,
      [p('window_per_s')]: r.window.perS, [p('window_p99_ms')]: r.window.p99, [p('window_hq_cpu_ms_per_sale')]: r.window.cpuPerSale,
      [p('baseline_hq_cpu_ms_per_sale')]: r.baseline.cpuPerSale, [p('errors')]: r.baseline.errors + r.slots.errors + r.window.errors,
      [p('fsync_sync_commit')]: r.fsync, ...(prefix === 'pg' ? { pg_link: socket ? 'unix' : 'tcp' } : {}),
      // The floor (two requests without the database) and each sale's CPU on this machine:
      // the bench's clients, HQ and the server share its cores, so cores / CPU per sale is the
      // most this machine could sell with no waiting at all.
      [p('floor_per_s')]: r.floor.perS, [p('to_floor')]: ratio(r.slots.perS, r.floor.perS), [p('floor_hq_cpu_ms')]: r.floor.cpuPerSale,
      [p('client_cpu_ms_per_sale')]: r.slots.clientCpuPerSale,
      ...(r.slots.pgCpuPerSale !== undefined ? {
        [p('server_cpu_ms_per_sale')]: r.slots.pgCpuPerSale, [p('baseline_server_cpu_ms_per_sale')]: r.baseline.pgCpuPerSale, [p('window_server_cpu_ms_per_sale')]: r.window.pgCpuPerSale,
        [p('cpu_ceiling_per_s')]: Math.round((availableParallelism() * 1000) / (r.slots.cpuPerSale + r.slots.clientCpuPerSale + r.slots.pgCpuPerSale)),
      } : {}),
    });
  } finally {
    await pg.drop();
  }
  return true;
}

const pgMode = process.env.PEAK_PG ?? 'durable';
let measured = false;
if (only !== 'pglite') {
  if (pgMode === 'durable' || pgMode === 'both') {
    const server = durableServer();
    try {
      measured = await measurePg(server.url, 'pg', server.dir);
    } finally {
      server.stop();
    }
  }
  if (pgMode === 'test' || pgMode === 'both') {
    measured = (await measurePg(process.env.TEST_DATABASE_URL, pgMode === 'test' ? 'pg' : 'pg_nofsync')) || measured;
  }
}
if (!measured) {
  say('Postgres not measured');
  out.hq_cpu_ms_per_sale = lite.slots.cpuPerSale;
}
out.oversold = oversold;
agent.destroy();
process.stdout.write(`${JSON.stringify(out)}\n`);
