import { TEST_DEVICE_SECRET } from './devices.ts';
import { rmSync } from 'node:fs';
import { loadCloudConfig } from '../../cloud/config.ts';
import { Cloud } from '../../cloud/server.ts';
import { createLogger, silentLogger } from '../../shared/log/logger.ts';
import { freshCloudDataDir } from './pglite.ts';

export const testLog = process.env.LOG_LEVEL ? createLogger('test') : silentLogger;

/** The `admin` password every test cloud is started with (ADMIN_PASSWORD). */
export const TEST_ADMIN_PASSWORD = 'test-admin-password';

/** A real cloud on loopback: PGlite copied from the template, aedes and HTTP on free ports. */
export async function startTestCloud(extra: Record<string, unknown> = {}): Promise<Cloud & { cleanup(): Promise<void> }> {
  const dataDir = await freshCloudDataDir();
  const cloud = new Cloud(loadCloudConfig({ dataDir, httpPort: 0, mqttPort: 0, adminPassword: TEST_ADMIN_PASSWORD, deviceSecret: TEST_DEVICE_SECRET, ...extra }, {}), testLog.child('cloud')) as Cloud & { cleanup(): Promise<void> };
  await cloud.start();
  cloud.cleanup = async () => {
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return cloud;
}

type ApiInit = { method?: string; body?: unknown; headers?: Record<string, string>; token?: string | null };

// Admin tokens per HQ address, made on first use: suites call api() as the administrator
// unless they pass a token of their own (or token: null for no credentials at all).
const adminTokens = new Map<string, Promise<string>>();

export async function login(base: string, username: string, password: string): Promise<string> {
  const r = await raw<any>(base, '/api/v1/auth/login', { body: { username, password } });
  if (r.status !== 200) throw new Error(`login ${username} at ${base}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token;
}

function adminToken(base: string, fresh = false): Promise<string> {
  let t = adminTokens.get(base);
  if (!t || fresh) {
    t = login(base, 'admin', TEST_ADMIN_PASSWORD);
    t.catch(() => adminTokens.delete(base));
    adminTokens.set(base, t);
  }
  return t;
}

/**
 * A kept-alive socket that HQ closed as idle just as the next request went out fails with
 * "other side closed" before HQ read anything: sent once more on a new socket. Any other
 * network failure is thrown with its cause in the message.
 */
async function raw<T>(base: string, path: string, init: ApiInit, token?: string, attempt = 1): Promise<{ status: number; body: T }> {
  let res: Response;
  try {
    res = await fetch(base + path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (attempt === 1 && cause?.code === 'UND_ERR_SOCKET' && /other side closed/.test(cause.message ?? '')) return raw<T>(base, path, init, token, 2);
    throw new Error(`${(err as Error).message} (${cause?.code ?? ''} ${cause?.message ?? ''}) at ${init.method ?? ''} ${path}`, { cause: err });
  }
  return { status: res.status, body: (await res.json()) as T };
}

/** One JSON call to HQ, as the administrator by default (see ApiInit.token). */
export async function api<T = any>(base: string, path: string, init: ApiInit = {}): Promise<{ status: number; body: T }> {
  if (init.token !== undefined) return raw<T>(base, path, init, init.token ?? undefined);
  const r = await raw<T>(base, path, init, await adminToken(base));
  // The same address may now be served by a new HQ (a restart on a fresh database).
  if (r.status === 401) return raw<T>(base, path, init, await adminToken(base, true));
  return r;
}

export const ADULT = { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 };

/** Polls until `check` returns a truthy value or the time is up. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 25): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A new, empty database on the Postgres server named by TEST_DATABASE_URL (started by
 * .ci/run). Undefined when no server is configured.
 */
export async function freshPostgres(admin = process.env.TEST_DATABASE_URL): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  if (!admin) return undefined;
  const { default: pg } = await import('pg');
  const name = `tk_test_${process.pid}_${Date.now().toString(36)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/**
 * Registers `body` as two tests: on PGlite, and on a fresh database of the Postgres server
 * when TEST_DATABASE_URL names one (else that test passes without running).
 */
export function onBothBackends(test: (name: string, fn: () => Promise<void>) => void, name: string, body: (extra: Record<string, unknown>, label: string) => Promise<void>): void {
  test(`${name} (PGlite)`, () => body({}, 'pglite'));
  test('the same on the Postgres server (when TEST_DATABASE_URL names one)', async () => {
    const pg = await freshPostgres();
    if (!pg) return;
    try {
      await body({ databaseUrl: pg.url }, 'postgres');
    } finally {
      await pg.drop();
    }
  });
}
