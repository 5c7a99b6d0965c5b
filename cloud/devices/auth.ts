import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MiddlewareHandler } from 'hono';
import {
  canPublish, canSubscribe, clientIdAllowed, handheldMay, speaksMqtt, credentialKey, deviceToken, deviceUsername, issueCredential, parseBasicAuth, siteKey, verifyDevice,
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

/** What the device checks need from HQ's records (cloud/devices/service.ts). */
export interface DeviceDirectory {
  /** A provisioned device, or undefined when HQ does not know it. */
  record(site: string, device: string): Promise<{ role: string; lanes: string[]; active: boolean } | undefined>;
  /** A connection made with `id`'s credential was refused (counted on that device). */
  refused(id: DeviceIdentity, reason: string, detail: Record<string, unknown>): void;
}

type ConnectError = Error & { returnCode: number };
const connectError = (message: string, returnCode: 2 | 4 | 5): ConnectError => Object.assign(new Error(message), { returnCode });

/**
 * Checks devices at HQ's broker and HTTP sync endpoints: a valid credential, of a device HQ
 * has provisioned and not switched off, in the role it was provisioned for, connecting under
 * its own client id. `required: false` lets anyone in (development only).
 */
export class DeviceAuth {
  private readonly keys = new Map<string, Buffer>();
  /** HQ's own broker client. */
  readonly hq: DeviceCredential;

  constructor(private readonly secret: Buffer, readonly required: boolean, private readonly directory?: DeviceDirectory) {
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

  /** The key card UIDs and ID numbers travel to this site's gates hashed with. */
  credentialKey(site: string): Buffer {
    return credentialKey(this.keyFor(site));
  }

  /**
   * Why a verified device may not speak now, or undefined: HQ must have provisioned it, in
   * this role, and not switched it off. HQ's own clients always may.
   */
  async refusal(id: DeviceIdentity): Promise<{ code: 'unknown_device' | 'device_inactive' | 'wrong_role'; message: string } | undefined> {
    if (id.role === 'hq' || !this.directory) return undefined;
    const record = await this.directory.record(id.site, id.device);
    if (!record) return { code: 'unknown_device', message: `设备未登记 / device ${deviceUsername(id)} is not provisioned at HQ` };
    if (!record.active) return { code: 'device_inactive', message: `设备已停用 / device ${deviceUsername(id)} is switched off` };
    if (record.role !== id.role) return { code: 'wrong_role', message: `设备登记为 ${record.role} / device ${id.device} is provisioned as a ${record.role}, not a ${id.role}` };
    return undefined;
  }

  /** The key a site hub needs to check its own gates (hex). */
  siteKeyHex(site: string): string {
    return this.keyFor(site).toString('hex');
  }

  /** aedes hooks: who may connect, publish and subscribe. */
  brokerHooks() {
    type Client = { id: string; __device?: DeviceIdentity };
    return {
      authenticate: (client: Client, username: string | undefined, password: Buffer | undefined, done: (err: ConnectError | null, ok: boolean) => void) => {
        const id = this.verify(username, password);
        if (!this.required) {
          client.__device = id;
          return done(null, true);
        }
        if (!id) return done(connectError('bad device credentials', 4), false);
        if (!speaksMqtt(id)) return done(connectError(`${deviceUsername(id)} is a handheld: HTTP only`, 5), false);
        // Checked before aedes looks for a session of that id: a refused client takes no one's place.
        if (!clientIdAllowed(id, client.id)) {
          this.directory?.refused(id, 'client_id_not_own', { clientId: String(client.id).slice(0, 100) });
          return done(connectError(`client id ${client.id} is not ${deviceUsername(id)}`, 2), false);
        }
        this.refusal(id).then((no) => {
          if (no) return done(connectError(no.message, 5), false);
          client.__device = id;
          done(null, true);
        }, (err: Error) => done(connectError(`device check failed: ${err.message}`, 5), false));
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
   * username and token, a device HQ has provisioned, and a `site` query that must be the
   * device's own.
   */
  http(): MiddlewareHandler<CloudEnv> {
    return async (c, next) => {
      if (!this.required) return next();
      const basic = parseBasicAuth(c.req.header('authorization'));
      const id = basic && this.verify(basic.username, basic.token);
      if (!id) throw new AppError('device_unauthorized', 'device credentials missing or wrong', 401);
      const no = await this.refusal(id);
      if (no) throw new AppError(no.code, no.message, no.code === 'unknown_device' ? 404 : 403, { what: 'device', id: id.device, site: id.site });
      const site = c.req.query('site');
      if (id.role !== 'hq' && site !== undefined && site !== id.site) {
        throw new AppError('wrong_site', `device ${id.device} belongs to site ${id.site}, not ${site}`, 403);
      }
      if (id.role === 'handheld' && !handheldMay(c.req.method, c.req.path)) {
        throw new AppError('role_forbidden', `手持检票机不能调用 / a handheld may not call ${c.req.method} ${c.req.path}`, 403);
      }
      c.set('device', id);
      return next();
    };
  }
}
