import { createHmac, timingSafeEqual } from 'node:crypto';
import { base32nopad } from '@scure/base';
import { BUNDLE, isDeviceUp, parseDeviceTopic, SIBLING } from '../sync/topics.ts';

/**
 * Device credentials. HQ holds one secret; each site gets a key derived from it, and each
 * device a token derived from its site's key:
 *
 *   siteKey  = HMAC-SHA256(hqSecret, "tk-site-v1|" + site)
 *   token    = base32(HMAC-SHA256(siteKey, "tk-dev-v1|" + role + "|" + device)[0..20])
 *
 * So HQ checks any device without a table, and a site hub, given only its own site's key,
 * checks the gates on its LAN without asking HQ (the WAN may be down) and without being able
 * to speak for another site. The username names the identity: "role:site:device".
 */
export const DEVICE_ROLES = ['gate', 'kiosk', 'hub', 'pos', 'handheld', 'hq'] as const;
export type DeviceRole = (typeof DEVICE_ROLES)[number];

export interface DeviceIdentity {
  role: DeviceRole;
  /** '*' for HQ's own clients. */
  site: string;
  device: string;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function siteKey(hqSecret: Buffer, site: string): Buffer {
  return createHmac('sha256', hqSecret).update(`tk-site-v1|${site}`).digest();
}

/**
 * The key card UIDs and ID numbers are hashed with before they travel to a site's gates
 * (shared/rules/credential.ts keyedCredential): derived from the site key, so HQ and the
 * site's hub make the same hashes, and a gate, which holds this key but not the site key,
 * cannot make device tokens with it.
 */
export function credentialKey(siteKey: Buffer): Buffer {
  return createHmac('sha256', siteKey).update('tk-cred-v1').digest();
}

export function deviceToken(key: Buffer, role: DeviceRole, device: string): string {
  return base32nopad.encode(createHmac('sha256', key).update(`tk-dev-v1|${role}|${device}`).digest().subarray(0, 20));
}

export function deviceUsername(id: DeviceIdentity): string {
  return `${id.role}:${id.site}:${id.device}`;
}

/** The identity a username claims, or undefined when it is not one. */
export function parseUsername(username: string | undefined): DeviceIdentity | undefined {
  if (!username) return undefined;
  const [role, site, device, ...rest] = username.split(':');
  if (rest.length || !role || !site || !device) return undefined;
  if (!(DEVICE_ROLES as readonly string[]).includes(role) || !NAME.test(device)) return undefined;
  if (role === 'hq' ? site !== '*' : !NAME.test(site)) return undefined;
  return { role: role as DeviceRole, site, device };
}

/**
 * Checks a username/token pair against a site key (`keyFor` returns undefined for a site this
 * verifier cannot speak for: a hub knows its own site only). Constant time in the token.
 */
export function verifyDevice(keyFor: (site: string) => Buffer | undefined, username: string | undefined, token: string | Buffer | undefined): DeviceIdentity | undefined {
  const id = parseUsername(username);
  if (!id || token === undefined) return undefined;
  const key = keyFor(id.site);
  if (!key) return undefined;
  const want = Buffer.from(deviceToken(key, id.role, id.device));
  const got = Buffer.isBuffer(token) ? token : Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want) ? id : undefined;
}

/** What a device may publish: its own topics (a hub: any device's on its site, as it relays them). */
export function canPublish(id: DeviceIdentity, topic: string): boolean {
  if (id.role === 'hq') return true;
  // A handheld speaks HTTP only (handheldMay): its credential is worth nothing on a broker.
  if (id.role === 'handheld') return false;
  const t = parseDeviceTopic(topic);
  if (!t || t.site !== id.site) return false;
  // A bundle speaks for the site's devices: a hub's own, on its own topic.
  if (t.kind === BUNDLE) return id.role === 'hub' && t.device === id.device;
  if (!(isDeviceUp(t.kind) || (t.kind === SIBLING && (id.role === 'gate' || id.role === 'hub')))) return false;
  return id.role === 'hub' || t.device === id.device;
}

/**
 * What a device may subscribe to, from its role: the site's doorbell and site-wide mode, its
 * own acks, mode and commands, and (gates, to count each other's entries) the site's
 * uploads. A hub relays for the whole site. The site level of the filter must be literal.
 */
export function canSubscribe(id: DeviceIdentity, filter: string): boolean {
  if (id.role === 'hq') return true;
  if (id.role === 'handheld') return false;
  const levels = filter.split('/');
  if (levels[0] !== 'tk' || levels[1] !== 'v1' || levels[2] !== id.site || levels.length < 4) return false;
  if (id.role === 'hub') return true;
  const rest = levels.slice(3).join('/');
  if (rest === 'notify' || rest === 'desired') return true;
  if (id.role === 'gate' && (rest === '+/up' || rest === `+/${SIBLING}`)) return true;
  return levels[3] === id.device && ['up/ack', 'desired', 'cmd/req'].includes(levels.slice(4).join('/'));
}

/**
 * The MQTT client id a device connects with: its username, so no two identities can share
 * one. A second connection of the same device takes over the first (the MQTT rule); another
 * device's credential can never take it. HQ's own clients name themselves.
 */
export function clientIdFor(id: DeviceIdentity): string {
  return deviceUsername(id);
}

/**
 * A device's own upload (or live sibling message) coming back to it through its subscription
 * to the site's: MQTT 3.1.1 has no "no local" option, so brokers drop it on forwarding.
 */
export function isOwnEcho(clientId: string | undefined, topic: string): boolean {
  const t = parseDeviceTopic(topic);
  return t !== undefined && (t.kind === 'up' || t.kind === SIBLING) && clientId === clientIdFor({ role: 'gate', site: t.site, device: t.device });
}

export function clientIdAllowed(id: DeviceIdentity, clientId: string): boolean {
  return id.role === 'hq' || clientId === clientIdFor(id);
}

/** Whether a role connects to a broker at all: a handheld speaks HTTP only (handheldMay). */
export function speaksMqtt(id: DeviceIdentity): boolean {
  return id.role !== 'handheld';
}

/**
 * All a handheld validator's credential opens, at HQ and at a site hub (paths under /api/v1):
 * its lanes' change log, its entries' upload, its siblings' entries. Not the gates' digest,
 * a kiosk's sales, a POS's balances, a hub's uplink, nor anything of the back office.
 */
export const HANDHELD_ENDPOINTS = ['GET /sync/changes', 'POST /sync/up', 'GET /sync/entries'] as const;

/** Whether a handheld may call `method path` (path from /api/v1 on, or the whole URL path). */
export function handheldMay(method: string, path: string): boolean {
  const p = path.replace(/^\/api\/v1(?=\/)/, '').replace(/\/+$/, '');
  return (HANDHELD_ENDPOINTS as readonly string[]).includes(`${method === 'HEAD' ? 'GET' : method} ${p}`);
}

/** The value of an HTTP Authorization header for a device (Basic, username:token). */
export function deviceAuthHeader(username: string, token: string): string {
  return `Basic ${Buffer.from(`${username}:${token}`).toString('base64')}`;
}

/** Splits a Basic Authorization header; undefined when absent or not Basic. */
export function parseBasicAuth(header: string | undefined): { username: string; token: string } | undefined {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (!m) return undefined;
  const raw = Buffer.from(m[1]!, 'base64').toString('utf8');
  const cut = raw.lastIndexOf(':');
  if (cut <= 0) return undefined;
  return { username: raw.slice(0, cut), token: raw.slice(cut + 1) };
}

/** A device's full credential, as it goes in a gate's, kiosk's or hub's config. */
export interface DeviceCredential { username: string; token: string }

export function issueCredential(hqSecret: Buffer, role: Exclude<DeviceRole, 'hq'>, site: string, device: string): DeviceCredential {
  return { username: deviceUsername({ role, site, device }), token: deviceToken(siteKey(hqSecret, site), role, device) };
}
