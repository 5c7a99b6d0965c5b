import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createApp } from '../../cloud/app.ts';
import { createUser, ensureAdmin } from '../../cloud/auth/service.ts';
import type { Role } from '../../cloud/auth/roles.ts';
import { loadCloudConfig } from '../../cloud/config.ts';
import type { CloudContext } from '../../cloud/context.ts';
import { openDb } from '../../cloud/db/open.ts';
import { DeviceAuth } from '../../cloud/devices/auth.ts';
import { loadIssuerKey } from '../../cloud/keys/issuer.ts';
import { changeLogId } from '../../cloud/sync/changes.ts';
import { ensureDefaultSite } from '../../cloud/sites/service.ts';
import { createLogger, silentLogger } from '../../shared/log/logger.ts';
import { freshCloudDataDir } from './pglite.ts';

export interface Hq {
  ctx: CloudContext;
  app: ReturnType<typeof createApp>;
  /** The clock HQ reads; tests move it. */
  clock: { now: number };
  notified: string[];
  /** A request as the administrator (or with the given headers instead). */
  req(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** A request with no user token. */
  raw(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** Logs in a new user with these roles; returns its bearer token. */
  userToken(username: string, roles: Role[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * HQ's app in process (requests through app.request, no socket) on a fresh PGlite copied
 * from the migrated template, or on a Postgres database when a URL is given.
 */
export async function openHq(opts: { now?: number; databaseUrl?: string } = {}): Promise<Hq> {
  const dataDir = await freshCloudDataDir();
  const opened = await openDb({ databaseUrl: opts.databaseUrl, pgliteDir: `${dataDir}/pglite` });
  const config = loadCloudConfig({ dataDir }, {});
  const clock = { now: opts.now ?? Date.now() };
  const notified: string[] = [];
  const ctx: CloudContext = {
    config, db: opened.db, changeLog: await changeLogId(opened.db), key: await loadIssuerKey(opened.db, `${dataDir}/keys`), log: process.env.LOG_LEVEL ? createLogger('hq') : silentLogger,
    deviceAuth: new DeviceAuth(randomBytes(32), false), now: () => clock.now,
    notify: (site) => notified.push(site), publishDesired: () => undefined, publish: () => undefined,
  };
  const app = createApp(ctx);
  await ensureAdmin(opened.db, 'admin-password');
  await ensureDefaultSite(opened.db, config.site);
  const call = async (method: string, path: string, body: unknown, headers: Record<string, string>) => {
    const res = await app.request(path, {
      method, headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON: kept as text */ }
    return { status: res.status, body: parsed as any };
  };
  const loginAs = async (username: string, password: string) => {
    const r = await call('POST', '/api/v1/auth/login', { username, password }, {});
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    return { token: r.body.token as string, expiresAt: Date.parse(r.body.expiresAt) };
  };
  // Tests move HQ's clock by months: the administrator logs in again when the session ran out.
  let admin = await loginAs('admin', 'admin-password');
  const adminToken = async () => {
    if (admin.expiresAt <= clock.now + 60_000) admin = await loginAs('admin', 'admin-password');
    return admin.token;
  };
  return {
    ctx, app, clock, notified,
    req: async (method, path, body, headers) => call(method, path, body, headers ?? { authorization: `Bearer ${await adminToken()}` }),
    raw: (method, path, body, headers = {}) => call(method, path, body, headers),
    async userToken(username, roles) {
      await createUser(opened.db, { username, displayName: username, roles, password: 'password-123' });
      return (await loginAs(username, 'password-123')).token;
    },
    async close() {
      await opened.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
