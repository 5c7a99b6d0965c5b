import { wiegandConfigSchema } from '../../hardware/wiegand/create.ts';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { cardConfigSchema } from '../../hardware/card/create.ts';
import { displayConfigSchema } from '../../hardware/display/create.ts';
import { idCardConfigSchema } from '../../hardware/idcard/create.ts';
import { indicatorConfigSchema } from '../../hardware/indicator/create.ts';
import { scannerConfigSchema } from '../../hardware/scanner/create.ts';
import { voiceConfigSchema } from '../../hardware/voice/create.ts';
import { turnstileConfigSchema } from '../../hardware/turnstile/create.ts';
import { DEFAULT_TZ } from '../../shared/time/zone.ts';
import { checkDeviceUrls } from '../../shared/net/tls.ts';
import { faceConfigSchema } from '../face/config.ts';
import { fingerprintConfigSchema } from '../../hardware/fingerprint/create.ts';

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - or _, up to 64');

export const gateConfigSchema = z.object({
  device: name,
  site: name,
  lane: name.default('lane-1'),
  /** Which way this gate's reader admits: entry or exit. */
  direction: z.enum(['in', 'out']).default('in'),
  /** Leaves stay released this long without a passage before unused entries are given back (doubled on an accessible lane). */
  passTimeoutMs: z.number().int().min(500).max(120_000).default(10_000),
  /** SQLite cache, passage log and outbox live here. */
  dataDir: z.string().min(1),
  cloudUrl: z.string().url(),
  mqttUrl: z.string().url(),
  /** CA (PEM) the server's certificate is checked against for https:// and mqtts:// (a site CA); absent: the system's list. */
  ca: z.string().min(1).optional(),
  /** Plain http:// or mqtt:// to an address that is not loopback: the token would travel readable. */
  insecure: z.boolean().default(false),
  /**
   * The venues this gate's lanes serve: it then holds only tickets that grant one of them.
   * Absent: every ticket of the site. Changing it makes the gate fetch its cache anew.
   */
  venues: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/)).min(1).max(32).optional(),
  /** This gate's credential from HQ (`npm run cli -- device-token <site> <device>`); its username is gate:{site}:{device}. */
  token: z.string().min(1).optional(),
  /** Pull the change log at least this often, even without a doorbell. */
  pullIntervalMs: z.number().int().min(100).default(60_000),
  /** Re-send unacknowledged uploads after this long without an ack. */
  ackTimeoutMs: z.number().int().min(100).default(10_000),
  /** Cap on what the gate sends up, kbit/s (0 = none): a backlog must not take the whole line. */
  uplinkKbps: z.number().min(0).max(1_000_000).default(0),
  /**
   * Lane status is re-sent this often (presence heartbeat beside the MQTT will, with the
   * counters); between beats it goes only when what matters changes (mode, error, alarm).
   */
  heartbeatMs: z.number().int().min(1000).default(60_000),
  /**
   * Entries for HQ leave in a batch when it is full or when its oldest entry is this old
   * (0: at once). At 1 scan a second, 10 s makes batches of ~10 entries: the per-message
   * cost (MQTT and TCP/IP headers, HQ's ack, the acks of both: ~250 bytes) falls to ~25 bytes
   * an entry (test/bench/sync.ts), and an entry reaches HQ within ~10 s plus the line's time.
   */
  coalesceMs: z.number().int().min(0).max(600_000).default(10_000),
  /**
   * Each entry also goes at once, in a small message, to sibling gates on the site's broker.
   * Meant for gates behind a site hub (the LAN carries it, the hub keeps it off the WAN);
   * without it siblings hear entries with the coalesced uploads.
   */
  liveSiblings: z.boolean().default(false),
  /** Seconds of silence before the broker calls the gate gone (its last will says offline). */
  keepaliveS: z.number().int().min(5).max(600).default(30),
  /**
   * MQTT protocol version: 4 (3.1.1: HQ's built-in broker and the hub's are aedes, which speaks
   * nothing else) or 5 (mosquitto, EMQX): its subscriptions then ask the broker not to send
   * the gate's own uploads back (No Local), where the built-in brokers drop them themselves.
   */
  mqttVersion: z.union([z.literal(4), z.literal(5)]).default(4),
  /** A batch the broker has not acknowledged this long means a silently dead line: reconnect. */
  pubackTimeoutMs: z.number().int().min(200).default(5_000),
  /** When HQ turns out to have lost acknowledged uploads (restored from a backup), own passages this recent are sent again. */
  resendHorizonHours: z.number().min(1).max(24 * 90).default(24 * 7),
  /** Entries per upload batch. */
  batchSize: z.number().int().min(1).max(1000).default(200),
  /**
   * Entries per batch in a catch-up (more than `batchSize` waiting): HQ's cost of a batch is
   * mostly its own (a transaction, a statement), so 1,000 at once take HQ about half the CPU
   * per entry of 200 (edge/gate/link.ts).
   */
  catchupBatchSize: z.number().int().min(1).max(1000).default(1000),
  locale: z.enum(['zh-CN', 'en']).default('zh-CN'),
  timeZone: z.string().default(DEFAULT_TZ),
  turnstile: turnstileConfigSchema,
  scanner: scannerConfigSchema,
  indicator: indicatorConfigSchema,
  display: displayConfigSchema,
  voice: voiceConfigSchema,
  /** RFID / IC card reader on this lane, if any: a card UID is presented like a scanned code. */
  card: cardConfigSchema.optional(),
  /** Resident ID card reader on this lane, if any: the ID number is presented. */
  idcard: idCardConfigSchema.optional(),
  /** A card reader on two GPIO lines (Wiegand 26/34), beside or instead of `card`. */
  wiegand: wiegandConfigSchema.optional(),
  /** Camera and thresholds of the face check (edge/face/config.ts); without it faces are not checked here. */
  face: faceConfigSchema.optional(),
  /** The fingerprint module (hardware/fingerprint/create.ts); its watch mode is switched on here. */
  fingerprint: fingerprintConfigSchema.optional(),
  /** How long the gate waits for a finger after a credential whose ticket has one bound. */
  fingerWaitMs: z.number().int().min(500).max(60_000).default(8000),
  /** Local control page/API for the simulated scanner; off when port is absent. */
  console: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535) }).optional(),
});
export type GateConfig = z.infer<typeof gateConfigSchema>;

export function parseGateConfig(input: unknown, source = 'gate config'): GateConfig {
  const parsed = gateConfigSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const c = parsed.data;
  checkDeviceUrls(source, { cloudUrl: c.cloudUrl, mqttUrl: c.mqttUrl }, c.insecure);
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}

export function loadGateConfig(path: string): GateConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read gate config: ${(err as Error).message}`);
  }
  return parseGateConfig(raw, path);
}
