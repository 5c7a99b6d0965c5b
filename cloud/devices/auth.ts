import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MiddlewareHandler } from 'hono';
import {
  canPublish, canSubscribe, deviceToken, deviceUsername, issueCredential, parseBasicAuth, siteKey, verifyDevice,
  type DeviceCredential, type DeviceIdentity, type DeviceRole,
} from '../../shared/auth/device.ts';
import { AppError } from '../http/errors.ts';
import type { CloudEnv } from '../http/env.ts';

const FILE = 'device-secret';

/**
 * HQ's device secret: from config (several HQ nodes must share one), else made on first boot
 * and kept beside the issuer key (mode 0600). Every device credential derives from it.
 */
export function loadDeviceSecret(dir: string, configured?: string): Buffer {
  if (configured) return Buffer.from(configured, 'hex');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, FILE);
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  return Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
}

/** Checks devices at HQ's broker and HTTP sync endpoints; `required: false` lets anyone in (development only). */
export class DeviceAuth {
  private readonly keys = new Map<string, Buffer>();
  /** HQ's own broker client. */
  readonly hq: DeviceCredential;

  constructor(private readonly secret: Buffer, readonly required: boolean) {
    const id: DeviceIdentity = { role: 'hq', site: '*', device: `hq-${randomBytes(4).toString('hex')}` };
    this.hq = { username: deviceUsername(id), token: deviceToken(this.keyFor('*'), 'hq', id.device) };
  }

  keyFor(site: string): Buffer {
    let key = this.keys.get(site);
    if (!key) {
      key = siteKey(this.secret, site);
      this.keys.set(site, key);
    }
    return key;
  }

  verify(username: string | undefined, token: string | Buffer | undefined): DeviceIdentity | undefined {
    return verifyDevice((site) => this.keyFor(site), username, token);
  }

  issue(role: Exclude<DeviceRole, 'hq'>, site: string, device: string): DeviceCredential {
    return issueCredential(this.secret, role, site, device);
  }

  /** The key a site hub needs to check its own gates (hex). */
  siteKeyHex(site: string): string {
    return this.keyFor(site).toString('hex');
  }

  /** aedes hooks: who may connect, publish and subscribe. */
  brokerHooks() {
    type Client = { id: string; __device?: DeviceIdentity };
    return {
      authenticate: (client: Client, username: string | undefined, password: Buffer | undefined, done: (err: (Error & { returnCode?: number }) | null, ok: boolean) => void) => {
        const id = this.verify(username, password);
        if (!id && this.required) {
          const err = Object.assign(new Error('bad device credentials'), { returnCode: 4 });
          return done(err, false);
        }
        client.__device = id;
        done(null, true);
      },
      authorizePublish: (client: Client | null, packet: { topic: string }, done: (err?: Error | null) => void) => {
        if (!client || !this.required) return done(null);
        const id = client.__device;
        done(id && canPublish(id, packet.topic) ? null : new Error(`not allowed to publish ${packet.topic}`));
      },
      authorizeSubscribe: <S extends { topic: string }>(client: Client, sub: S, done: (err: Error | null, sub?: S | null) => void) => {
        const id = client.__device;
        if (!this.required || (id && canSubscribe(id, sub.topic))) return done(null, sub);
        done(null, null); // refused: a SUBACK with failure, the connection stays
      },
    };
  }

  /**
   * Hono middleware for the device-facing sync endpoints: Basic auth with the device's
   * username and token, and a `site` query that must be the device's own.
   */
  http(): MiddlewareHandler<CloudEnv> {
    return async (c, next) => {
      if (!this.required) return next();
      const basic = parseBasicAuth(c.req.header('authorization'));
      const id = basic && this.verify(basic.username, basic.token);
      if (!id) throw new AppError('device_unauthorized', 'device credentials missing or wrong', 401);
      const site = c.req.query('site');
      if (id.role !== 'hq' && site !== undefined && site !== id.site) {
        throw new AppError('wrong_site', `device ${id.device} belongs to site ${id.site}, not ${site}`, 403);
      }
      c.set('device', id);
      return next();
    };
  }
}
