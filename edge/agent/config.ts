import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { checkDeviceUrls } from '../../shared/net/tls.ts';

export const agentName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - or _, up to 64');

/**
 * The keys every site agent (kiosk, POS) shares: who it is, where its data lives, how it
 * reaches HQ (or the site hub) and the broker, and how its outbox backs off. Each agent's
 * schema spreads these and adds its own.
 */
export const agentConfigFields = {
  device: agentName,
  site: agentName,
  /** SQLite state (cache, outbox) lives here. */
  dataDir: z.string().min(1),
  /** HQ, or the site hub that relays to it. */
  cloudUrl: z.string().url(),
  /** This agent's credential from HQ (`npm run cli -- device-token <site> <device> <role>`); its username is {role}:{site}:{device}. */
  token: z.string().min(1).optional(),
  /**
   * The site's broker (HQ's or a site hub's): presence and status for HQ's device view, and
   * the doorbell for new data. Absent: the agent pulls on its timer only.
   */
  mqttUrl: z.string().url().optional(),
  /** CA (PEM) the server's certificate is checked against for https:// and mqtts:// (a site CA); absent: the system's list. */
  ca: z.string().min(1).optional(),
  /** Plain http:// or mqtt:// to an address that is not loopback: the token would travel readable. */
  insecure: z.boolean().default(false),
  /** Status is re-sent this often (beside the MQTT last will). */
  heartbeatMs: z.number().int().min(1000).default(30_000),
  /** A visitor (or cashier) waits at most this long for HQ before the agent answers from its cache. */
  hqTimeoutMs: z.number().int().min(100).max(60_000).default(3000),
  /** The outbox is sent again after a failure, backing off from min to max. */
  retryMinMs: z.number().int().min(50).default(1000),
  retryMaxMs: z.number().int().min(100).default(60_000),
};

/** The local touch page and its JSON API (loopback by default). */
export const httpListen = (port: number) => z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(port) }).prefault({});

type AgentBase = { cloudUrl: string; mqttUrl?: string; insecure: boolean; dataDir: string };

/** Validates an agent's config: the first bad key named, plain-text URLs checked, dataDir absolute. */
export function parseAgentConfig<S extends z.ZodType<AgentBase>>(schema: S, input: unknown, source: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const c = parsed.data;
  checkDeviceUrls(source, { cloudUrl: c.cloudUrl, mqttUrl: c.mqttUrl }, c.insecure);
  return { ...c, dataDir: resolve(c.dataDir) };
}

/** Reads and validates an agent's JSON config file. */
export function loadAgentConfig<T>(path: string, what: string, parse: (raw: unknown, source: string) => T): T {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read ${what} config: ${(err as Error).message}`);
  }
  return parse(raw, path);
}
