/**
 * Real Postgres servers for the data-centre suites: a pg_auto_failover formation (monitor,
 * primary, standby) made with provisioning/ha/pgaf.sh, or one plain server with WAL
 * archiving. Every server runs in its own process group and directory; stop() kills the
 * groups and removes the directories, and so does an exit of the test process by any path
 * (a failed assertion, an uncaught error), and so does the next start on the same ports.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import pg from 'pg';

const root = new URL('../..', import.meta.url).pathname;

export function pgBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const v = readdirSync(base).filter((d) => existsSync(join(base, d, 'bin/initdb'))).sort((a, b) => Number(a) - Number(b)).pop();
  return v ? join(base, v, 'bin') : undefined;
}

/** What is missing to run a formation here, or undefined when everything is. */
export function missingForFormation(): string | undefined {
  const bin = pgBin();
  if (!bin) return 'PostgreSQL server binaries (apt-get install postgresql)';
  if (!existsSync('/usr/bin/pg_autoctl')) return 'pg_autoctl (apt-get install pg-auto-failover-cli)';
  const lib = join(bin, '..', 'lib', 'pgautofailover.so');
  if (!existsSync(lib)) return `the pg_auto_failover extension (apt-get install postgresql-${bin.split('/').at(-2)}-auto-failover)`;
  return undefined;
}

export function missingForServer(): string | undefined {
  return pgBin() ? undefined : 'PostgreSQL server binaries (apt-get install postgresql)';
}

const isRoot = process.getuid?.() === 0;
/** Postgres refuses to run as root: as root, everything runs as the postgres user. */
const asPg = (cmd: string, args: string[]) => (isRoot ? { cmd: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] } : { cmd, args });

let scripts: string | undefined;
/**
 * A script of provisioning/ha as the postgres user can read it: as root the scripts run as
 * postgres, and a checkout may sit in a directory only its owner can enter (mktemp -d), so
 * they are copied once into a directory everyone may read, removed at exit.
 */
function script(name: 'pgaf.sh' | 'backup.sh'): string {
  if (!isRoot) return join(root, 'provisioning/ha', name);
  if (!scripts) {
    const dir = mkdtempSync(join(tmpdir(), 'tk-ha-scripts-'));
    cpSync(join(root, 'provisioning/ha'), dir, { recursive: true });
    chmodSync(dir, 0o755);
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    scripts = dir;
  }
  return join(scripts, name);
}

const groups = new Set<number>();
const dirs = new Set<string>();

function killAll(): void {
  for (const g of groups) {
    try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ }
  }
  groups.clear();
  for (const d of dirs) killIn(d);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { killAll(); process.exit(130); });

/**
 * Kills every postmaster and pg_autoctl whose pid file lies under dir (leftovers of a killed
 * run), and every process working in dir: Postgres's children each call setsid(), so they are
 * not in the group that was killed, and pg_auto_failover's health-check worker never notices
 * its postmaster died (it and the logger it keeps open outlived every run).
 */
function killIn(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir, { recursive: true }).map(String)) {
    if (!f.endsWith('postmaster.pid') && !f.endsWith('pg_autoctl.pid')) continue;
    const pid = Number(readFileSync(join(dir, f), 'utf8').split('\n')[0]);
    if (pid > 1) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${p}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) process.kill(Number(p), 'SIGKILL');
    } catch { /* gone, or not ours to see */ }
  }
}

function freshDir(dir: string): void {
  killIn(dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (isRoot) chownSync(dir, uidOf('postgres'), gidOf('postgres'));
  chmodSync(dir, 0o755);
  dirs.add(dir);
}
const uidOf = (u: string) => Number(execFileSync('id', ['-u', u], { encoding: 'utf8' }).trim());
const gidOf = (u: string) => Number(execFileSync('id', ['-g', u], { encoding: 'utf8' }).trim());

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): string {
  const c = asPg(cmd, args);
  const r = spawnSync(c.cmd, c.args, { env: { ...process.env, ...env }, encoding: 'utf8', cwd: '/tmp' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Starts a long-running command in its own process group (so one kill takes it and its children). */
function daemon(cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): number {
  const c = asPg('/bin/sh', ['-c', `exec "$0" "$@" >> ${logFile} 2>&1`, cmd, ...args]);
  const child = spawn(c.cmd, c.args, { env: { ...process.env, ...env }, detached: true, stdio: 'ignore', cwd: '/tmp' });
  child.unref();
  groups.add(child.pid!);
  return child.pid!;
}

export async function query<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface FormationNode { name: string; port: number; pgdata: string; group: number; url: string }
export interface Formation {
  monitorUrl: string;
  /** The multi-host URI `pg_autoctl show uri` gives, for HQ's DATABASE_URL. */
  uri: string;
  nodes: FormationNode[];
  /** Node names with their reported states, from the monitor. */
  states(): Promise<{ name: string; reported: string; goal: string }[]>;
  /** The node that accepts writes now (read-write session), if any. */
  writable(): Promise<FormationNode | undefined>;
  /** The node's machine dies: SIGKILL to its keeper and its postmaster. */
  kill(node: FormationNode): void;
  stop(): void;
}

/**
 * A monitor and two nodes on 127.0.0.1 at ports basePort..basePort+2, trust auth, no TLS
 * (loopback only). Resolves when one node is primary and the other a synchronous secondary.
 */
export async function startFormation(opts: { basePort: number; dir?: string; archive?: string }): Promise<Formation> {
  const dir = opts.dir ?? join(tmpdir(), `tk-ha-${opts.basePort}`);
  freshDir(dir);
  const env = {
    XDG_CONFIG_HOME: join(dir, 'xdg/config'), XDG_DATA_HOME: join(dir, 'xdg/data'), XDG_RUNTIME_DIR: join(dir, 'xdg/run'),
    PGAF_AUTH: 'trust', PGAF_SSL: '--no-ssl', PGAF_LISTEN: '127.0.0.1', PG_BIN: pgBin()!,
  };
  run('mkdir', ['-p', env.XDG_CONFIG_HOME, env.XDG_DATA_HOME, env.XDG_RUNTIME_DIR], {});
  const monitor = { pgdata: join(dir, 'monitor'), port: opts.basePort };
  run('bash', [script('pgaf.sh'), 'monitor', monitor.pgdata, String(monitor.port), '127.0.0.1'], env);
  const monitorGroup = daemon('pg_autoctl', ['run', '--pgdata', monitor.pgdata], env, join(dir, 'monitor.log'));
  const monitorUrl = `postgres://autoctl_node@127.0.0.1:${monitor.port}/pg_auto_failover`;
  await until('the monitor', () => query(monitorUrl, 'select 1').then(() => true), 30_000);
  const nodes: FormationNode[] = [];
  for (const [i, name] of ['node_a', 'node_b'].entries()) {
    const port = opts.basePort + 1 + i;
    const pgdata = join(dir, name);
    const create = () => run('bash', [script('pgaf.sh'), 'node', pgdata, String(port), '127.0.0.1', `${monitorUrl}?sslmode=disable`, name, ...(opts.archive ? [opts.archive] : [])], env);
    // A standby's `pg_autoctl create` gives up after a few seconds of failed connections to the
    // primary (seen on a loaded machine: exit 3 while the primary's keeper was slow to open its
    // HBA). Run again, it carries on from its init state file ("Continuing from a previous
    // `pg_autoctl create` failed attempt"), as an operator would re-run it.
    for (let attempt = 1; ; attempt++) {
      try {
        create();
        break;
      } catch (err) {
        if (attempt === 3) throw err;
        process.stderr.write(`${name}: create failed (attempt ${attempt}), running it again\n${(err as Error).message.slice(-2000)}\n`);
        killIn(pgdata);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    const group = daemon('pg_autoctl', ['run', '--pgdata', pgdata], env, join(dir, `${name}.log`));
    nodes.push({ name, port, pgdata, group, url: `postgres://postgres@127.0.0.1:${port}/hq` });
    // The second node clones the first: wait until the first is primary.
    if (i === 0) await until(`${name} primary`, async () => (await states()).some((s) => s.name === name && s.reported === 'single'), 60_000);
  }
  async function states() {
    return (await query<{ name: string; reported: string; goal: string }>(monitorUrl,
      'select nodename as name, reportedstate::text as reported, goalstate::text as goal from pgautofailover.node order by nodeid'));
  }
  await until('primary and secondary', async () => {
    const s = await states();
    return s.length === 2 && s.some((n) => n.reported === 'primary' && n.goal === 'primary') && s.some((n) => n.reported === 'secondary' && n.goal === 'secondary');
  }, 90_000);
  const uri = run('bash', [script('pgaf.sh'), 'uri', monitor.pgdata], env).trim().split('\n').pop()!.trim();
  return {
    monitorUrl, uri: uri.replace('postgres://', 'postgres://postgres@'), nodes, states,
    async writable() {
      for (const n of nodes) {
        const r = await query<{ transaction_read_only: string }>(n.url, 'show transaction_read_only').catch(() => []);
        if (r[0]?.transaction_read_only === 'off') return n;
      }
      return undefined;
    },
    kill(node) {
      try { process.kill(-node.group, 'SIGKILL'); } catch { /* gone */ }
      groups.delete(node.group);
      killIn(node.pgdata);
    },
    stop() {
      for (const g of [monitorGroup, ...nodes.map((n) => n.group)]) {
        try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ }
        groups.delete(g);
      }
      killIn(dir);
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
}


export interface Server { url: string; pgdata: string; port: number; kill(): void; start(pgdata?: string): Promise<void>; stop(): void }

/**
 * One plain Postgres server on 127.0.0.1:port with WAL archiving into `<dir>/archive`, as
 * pgaf.sh sets it on a formation's nodes. start(pgdata) starts it again from another data
 * directory (a restored one) on the same port.
 */
export async function startServer(opts: { port: number; dir?: string }): Promise<Server & { dir: string; archive: string; backup(): string; restore(base: string, kind: string, value?: string): string; mark(name: string): void; logTail(): string }> {
  const dir = opts.dir ?? join(tmpdir(), `tk-pitr-${opts.port}`);
  freshDir(dir);
  const bin = pgBin()!;
  const archive = join(dir, 'archive');
  run('mkdir', ['-p', archive, join(dir, 'backups')], {});
  let pgdata = join(dir, 'data');
  run(join(bin, 'initdb'), ['-D', pgdata, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale'], {});
  run('sh', ['-c', `cat >> ${pgdata}/postgresql.conf <<CONF
listen_addresses = '127.0.0.1'
port = ${opts.port}
unix_socket_directories = '${dir}'
archive_mode = on
archive_command = 'test ! -f ${archive}/%f && cp %p ${archive}/%f.tmp && mv ${archive}/%f.tmp ${archive}/%f'
CONF`], {});
  const url = `postgres://postgres@127.0.0.1:${opts.port}/postgres`;
  let group = 0;
  const start = async (from?: string) => {
    if (from) pgdata = from;
    group = daemon(join(bin, 'postgres'), ['-D', pgdata], {}, join(dir, 'server.log'));
    await until('postgres accepting writes', async () => (await query<{ r: boolean }>(url, 'select pg_is_in_recovery() as r'))[0]?.r === false, 60_000);
  };
  await start();
  const env = { PG_BIN: bin };
  return {
    url, port: opts.port, dir, archive, start,
    get pgdata() { return pgdata; },
    backup: () => run('bash', [script('backup.sh'), 'base', url, join(dir, 'backups')], env).trim().split('\n').pop()!,
    restore: (base, kind, value) => run('bash', [script('backup.sh'), 'restore', base, archive, join(dir, `restored-${Date.now()}`), kind, ...(value ? [value] : [])], env).trim().split('\n').pop()!,
    mark: (name) => { run('bash', [script('backup.sh'), 'mark', url, name], env); },
    logTail: () => (existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8').split('\n').slice(-20).join('\n') : ''),
    kill() {
      try { process.kill(-group, 'SIGKILL'); } catch { /* gone */ }
      groups.delete(group);
      killIn(pgdata);
      // A lost machine takes its socket lock with it; here the directory stays behind.
      rmSync(join(dir, `.s.PGSQL.${opts.port}.lock`), { force: true });
    },
    stop() {
      try { process.kill(-group, 'SIGKILL'); } catch { /* gone */ }
      groups.delete(group);
      killIn(dir);
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
}
