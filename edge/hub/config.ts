import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { mqttLimitsSchema } from '../../shared/net/mqtt-listener.ts';
import { assertPlainListenAllowed, assertPlainUrlAllowed } from '../../shared/net/tls.ts';

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - or _, up to 64');
const port = z.number().int().min(0).max(65535);

/**
 * The site hub's config. Strict: a misspelt key is an error that names it, never a silent
 * default. Hosts default to every interface, since the hub exists to serve the site's LAN.
 */
export const hubConfigSchema = z.strictObject({
  /** The hub's own device id: its presence is `tk/v1/{site}/{hub}/status`. */
  hub: name,
  site: name,
  /** hub.sqlite (queue, retained modes, change-log copy) lives here. */
  dataDir: z.string().min(1),
  /** The LAN broker gates connect to (their `mqttUrl`). */
  mqttHost: z.string().min(1).default('0.0.0.0'),
  mqttPort: port.default(1883),
  /** The LAN change-log endpoint gates pull from (their `cloudUrl`). */
  httpHost: z.string().min(1).default('0.0.0.0'),
  httpPort: port.default(8780),
  /**
   * The site's key from HQ (`npm run cli -- site-key <site>`), 64 hex digits. With it the hub
   * signs in at HQ as hub:{site}:{hub} and lets onto its LAN broker and change log only gates
   * and kiosks with a token of this site. Without it, it signs in nowhere and checks no one
   * (development only).
   */
  siteKey: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits').optional(),
  /** HQ, over the WAN. */
  upstream: z.strictObject({
    mqttUrl: z.string().url(),
    cloudUrl: z.string().url(),
    /** CA (PEM) that HQ's certificate is checked against (a site CA); absent: the system's list. */
    ca: z.string().min(1).optional(),
  }),
  /** Certificate and key (PEM) of the LAN side: HTTPS and MQTT over TLS (gates then use https:// and mqtts://). */
  tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
  /** Plain text on the LAN, or to HQ, on addresses that are not loopback (a closed network's own choice). */
  insecure: z.boolean().default(false),
  /** The LAN broker's limits (shared/net/mqtt-listener.ts). */
  mqttLimits: mqttLimitsSchema.strict().prefault({}),
  /** Largest request body on the LAN's HTTP side, bytes. */
  httpBodyLimit: z.number().int().min(256).max(64 * 1024 * 1024).default(64 * 1024),
  /** Pull HQ's change log at least this often, even without a doorbell. */
  pullIntervalMs: z.number().int().min(100).default(60_000),
  /** Changes asked for per page from HQ. */
  pageSize: z.number().int().min(1).max(5000).default(1000),
  /** Bundles (shared/sync/bundle.ts: up to 32 KB of queued messages each) in flight to HQ's broker awaiting its PUBACK. */
  forwardWindow: z.number().int().min(1).max(1000).default(4),
  /**
   * What the site's devices send for HQ leaves as one bundle when its oldest message is this
   * old (or at once when it is full or holds a mode report or a command answer); 0 = at once.
   * 10 s: 10 gates at a visitor's pace then cost HQ's line ~20 bytes an entry, headers and
   * acks included, and reach HQ within ~11 s (test/bench/sync.ts, paced through a hub).
   */
  coalesceMs: z.number().int().min(0).max(600_000).default(10_000),
  /** A bundle without HQ's broker's PUBACK (and nothing else acknowledged) this long means a silently dead WAN. */
  pubackTimeoutMs: z.number().int().min(500).default(10_000),
  /** MQTT keep-alive to HQ, seconds. */
  keepaliveS: z.number().int().min(5).max(300).default(30),
  /** Re-publish the hub's own retained status (queue length, checkpoint) this often. */
  statusIntervalMs: z.number().int().min(1000).default(30_000),
  /**
   * The site's windows (edge/hub/window): the back office app and the window's endpoints on
   * the LAN, selling while the WAN is down.
   */
  window: z.strictObject({
    enabled: z.boolean().default(true),
    /** The built back office (npm run build:web); absent: the API only. */
    webDir: z.string().min(1).optional(),
    /** Upload the sale journal (and retry a failed upload) at least this often. */
    syncIntervalMs: z.number().int().min(100).default(5000),
    /** Fetch types, prices and staff from HQ, and renew the key's delegation, this often. */
    kitEveryMs: z.number().int().min(1000).default(300_000),
    /**
     * Capacity leases (edge/hub/window/leases.ts): on a day HQ limits, the hub sells only
     * places HQ leased it. It keeps `target` persons per type and day in hand for the next
     * `days` days (and for any day a sale found short), and gives back what is over twice that.
     */
    lease: z.strictObject({
      target: z.number().int().min(0).max(100_000).default(50),
      days: z.number().int().min(1).max(7).default(2),
      /** Persons per time slot kept in hand, on days sold by slot (default: `target`). */
      slotTarget: z.number().int().min(0).max(100_000).optional(),
    }).prefault({}),
  }).prefault({}),
});
export type HubConfig = z.infer<typeof hubConfigSchema>;

export function parseHubConfig(input: unknown, source = 'hub config'): HubConfig {
  const parsed = hubConfigSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const c = parsed.data;
  try {
    const fixLan = 'give the hub "tls": {"cert","key"} (provisioning/tls/tls.sh), or "insecure": true';
    if (!c.tls) {
      assertPlainListenAllowed('mqttHost', c.mqttHost, c.insecure, fixLan);
      assertPlainListenAllowed('httpHost', c.httpHost, c.insecure, fixLan);
    }
    const fixWan = 'use mqtts:// and https:// (with "upstream.ca" for a site CA), or "insecure": true';
    assertPlainUrlAllowed('upstream.mqttUrl', c.upstream.mqttUrl, c.insecure, fixWan);
    assertPlainUrlAllowed('upstream.cloudUrl', c.upstream.cloudUrl, c.insecure, fixWan);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir), window: { ...c.window, ...(c.window.webDir ? { webDir: resolve(c.window.webDir) } : {}) }, upstream: { ...parsed.data.upstream, cloudUrl: parsed.data.upstream.cloudUrl.replace(/\/+$/, '') } };
}

export function loadHubConfig(path: string): HubConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read hub config: ${(err as Error).message}`);
  }
  return parseHubConfig(raw, path);
}
