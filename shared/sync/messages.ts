import { z } from 'zod';
import { calendarDay } from '../time/day.ts';
import { CACHE_CREDENTIALS, ENTRY_KINDS, laneRules, MODES, timeSlot, typeRules, venueRules } from '../rules/model.ts';

/**
 * Messages between HQ and devices. Down: a change log read with `since=<checkpoint>`.
 * Up: outbox batches over MQTT QoS 1, acknowledged "up to seq" per device stream.
 */
/** Topics live in topics.ts (built and parsed in one place); re-exported for older imports. */
export { topics } from './topics.ts';

/** UUID-shaped: entry nonces are derived from SHA-256 (nonce.ts), so not RFC 4122 version and variant. */
export const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const ticketRow = z.object({
  id: uuid,
  typeId: z.number().int().nonnegative(),
  validFrom: z.number().int().nonnegative(),
  validUntil: z.number().int().nonnegative(),
  persons: z.number().int().positive(),
  entries: z.number().int().nonnegative(),
});
export type TicketRow = z.infer<typeof ticketRow>;

/**
 * A booking made online or through an OTA channel, for a kiosk or window to hand out its
 * tickets while HQ is out of reach. Phone and ID number travel only as lookup hashes
 * (shared/booking/lookup.ts). Gates ignore this kind. Sent again on every state change.
 */
export const bookingRow = z.object({
  orderNo: z.string().min(1).max(40),
  /** What the booking's QR carries. */
  pickupCode: z.string().min(1).max(64),
  visitDay: calendarDay,
  /** End of the visit day (unix s): after it the booking is left out of pulls. */
  validUntil: z.number().int().nonnegative(),
  state: z.enum(['issued', 'picked_up', 'cancelled']),
  phoneHash: z.string().regex(/^[0-9a-f]{64}$/),
  phoneLast4: z.string().regex(/^\d{4}$/),
  idHash: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  contactName: z.string().max(64),
  tickets: z.array(z.object({ id: uuid, code: z.string().max(400), typeId: z.number().int().nonnegative(), persons: z.number().int().positive() })).max(500),
});
export type BookingRow = z.infer<typeof bookingRow>;

export const change = z.discriminatedUnion('kind', [
  z.object({ seq: z.number().int().positive(), kind: z.literal('ticket'), ticket: ticketRow }),
  z.object({ seq: z.number().int().positive(), kind: z.literal('revoke'), ticketId: uuid, reason: z.string().max(32) }),
  /**
   * An issuer's public key. `notAfter` (unix s): a key HQ delegated to a site hub, trusted
   * only for codes valid no later than that (HQ renews it while the hub's line is up).
   */
  z.object({ seq: z.number().int().positive(), kind: z.literal('key'), keyId: z.string().regex(/^[0-9a-f]{8}$/), publicKey: z.string().regex(/^[0-9a-f]{64}$/), notAfter: z.number().int().nonnegative().optional() }),
  z.object({ seq: z.number().int().positive(), kind: z.literal('type'), typeId: z.number().int().nonnegative(), rules: typeRules }),
  z.object({ seq: z.number().int().positive(), kind: z.literal('lane'), rules: laneRules }),
  /** Desired mode: device '' means every device of the site. Its seq is its version. */
  z.object({ seq: z.number().int().positive(), kind: z.literal('mode'), device: z.union([z.literal(''), id]), mode: z.enum(MODES) }),
  /** A credential bound to a ticket; card UIDs and ID numbers as keyed hashes (shared/rules/credential.ts). */
  z.object({ seq: z.number().int().positive(), kind: z.literal('credential'), credential: z.enum(CACHE_CREDENTIALS), value: z.string().min(1).max(64), ticketId: uuid }),
  /** The binding ended (its ticket was refunded, revoked, used up or expired): gates drop it. */
  z.object({ seq: z.number().int().positive(), kind: z.literal('unbind'), credential: z.enum(CACHE_CREDENTIALS), value: z.string().min(1).max(64), ticketId: uuid }),
  /**
   * A device of the site as HQ provisioned it: gates take entries from a sibling only for its
   * own lanes, and the hub checks its LAN with it.
   */
  z.object({
    seq: z.number().int().positive(), kind: z.literal('device'), device: id, role: z.enum(['gate', 'kiosk', 'hub', 'pos', 'handheld']),
    lanes: z.array(id).max(64), active: z.boolean(),
  }),
  /**
   * A face bound to a ticket: its embedding (base64 float32) and the model that made it; null
   * when the face was removed. Gates keep it encrypted and drop it after `validUntil` (unix s).
   */
  z.object({
    seq: z.number().int().positive(), kind: z.literal('face'), ticketId: uuid, model: z.string().min(1).max(64),
    embedding: z.string().max(8192).nullable(), validUntil: z.number().int().nonnegative(),
  }),
  /**
   * A fingerprint bound to a ticket or member card: the module's template (base64 of its
   * character file, never an image) and the template format; null when removed. Gates keep it
   * sealed like a face and drop it after `validUntil` (unix s).
   */
  z.object({
    seq: z.number().int().positive(), kind: z.literal('fingerprint'), ticketId: uuid, format: z.string().min(1).max(32),
    template: z.string().max(2048).nullable(), validUntil: z.number().int().nonnegative(),
  }),
  z.object({ seq: z.number().int().positive(), kind: z.literal('booking'), booking: bookingRow }),
  /** A venue's capacity and time-slot rules (shared/rules/model.ts VenueRules): gates keep the in-park count under it. */
  z.object({ seq: z.number().int().positive(), kind: z.literal('venue'), rules: venueRules }),
  /** The time slot a ticket was sold for (分时预约); null: the slot was lifted (changed to any time). */
  z.object({ seq: z.number().int().positive(), kind: z.literal('slot'), ticketId: uuid, slot: timeSlot.nullable() }),
  /**
   * A ticket print template's new version (kiosks print with it; gates ignore it). typeId null:
   * the default template. The layout is checked by the kiosk that uses it (shared/template
   * templateLayout), not here: a layout from a newer HQ must not stop a gate's sync.
   */
  z.object({
    seq: z.number().int().positive(), kind: z.literal('template'), code: z.string().regex(/^[a-z0-9_-]{1,32}$/),
    version: z.number().int().positive(), name: z.string().min(1).max(64), typeId: z.number().int().nonnegative().nullable(),
    layout: z.record(z.string(), z.unknown()),
  }),
]);
export type Change = z.infer<typeof change>;

/** What a handheld validator's pulls leave out: it holds no biometrics (a phone is easily lost), sells nothing, prints nothing. */
export const HANDHELD_SKIPS: readonly Change['kind'][] = ['booking', 'face', 'fingerprint', 'template'];
/** A change before the log gives it a sequence number. */
export type ChangeBody = Change extends infer C ? (C extends { seq: number } ? Omit<C, 'seq'> : never) : never;

export const changeBatch = z.object({
  /** Identity of HQ's change log; a device that held another log's checkpoint starts over. */
  log: z.string().max(64).optional(),
  /** HQ says: your checkpoint means nothing here, drop the cache and pull from 0. */
  reset: z.boolean().optional(),
  since: z.number().int().nonnegative(),
  /** Checkpoint to store after applying this batch. */
  next: z.number().int().nonnegative(),
  more: z.boolean(),
  /** HQ's clock when it answered, UTC ms: devices learn their offset from it. */
  serverTime: z.number().int(),
  changes: z.array(change),
  /** changesChecksum(changes), see checksum.ts. */
  checksum: z.string().optional(),
  /** The site's credential key (hex), for gates to hash the cards and ID numbers they read. */
  credentialKey: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /**
   * Revocations made at the site hub that HQ's log does not hold yet (a refund at the hub's
   * window while the WAN is down): outside the log's numbering, applied by ticket id, sent on
   * the last page of every pull until HQ's own revocation is in the hub's copy.
   */
  local: z.array(z.object({ kind: z.literal('revoke'), ticketId: uuid, reason: z.string().max(32) })).max(10_000).optional(),
});
export type ChangeBatch = z.infer<typeof changeBatch>;

export const entryRecord = z.object({
  nonce: uuid,
  /** Null only for emergency passages, which no ticket paid for. */
  ticketId: uuid.nullable(),
  persons: z.number().int().positive().max(10_000),
  lane: id,
  venue: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default('main'),
  direction: z.enum(['in', 'out']),
  /** See shared/rules/model.ts EntryKind. */
  kind: z.enum(ENTRY_KINDS),
  /** UTC ms on the device's own clock. */
  deviceTime: z.number().int(),
  /** deviceTime corrected by the device's known offset to HQ. */
  correctedTime: z.number().int(),
});
export type EntryRecord = z.infer<typeof entryRecord>;

export const MAX_BATCH_ENTRIES = 1000;

export const upBatch = z.object({
  device: id,
  /** Identifies one life of the device's database: sequence numbers restart with it. */
  epoch: uuid,
  firstSeq: z.number().int().positive(),
  lastSeq: z.number().int().positive(),
  entries: z.array(entryRecord).max(MAX_BATCH_ENTRIES),
}).refine((b) => b.lastSeq >= b.firstSeq, { message: 'lastSeq before firstSeq' })
  // Every sequence number in the range is one entry: a batch that claims more would move HQ's
  // watermark over entries it never received.
  .refine((b) => b.entries.length === b.lastSeq - b.firstSeq + 1, { message: 'sequence range does not match the entries' });
export type UpBatch = z.infer<typeof upBatch>;

export const upAck = z.object({ epoch: uuid, upTo: z.number().int().nonnegative() });
export type UpAck = z.infer<typeof upAck>;

export const mode = z.enum(MODES);

/** Desired mode as HQ sets it; versions come from one HQ sequence, so the newest wins across scopes. */
export const desiredMode = z.object({ mode, version: z.number().int().nonnegative(), at: z.number().int() });
export type DesiredMode = z.infer<typeof desiredMode>;

export const reportedMode = z.object({
  mode,
  /** The desired version applied; the local emergency input may override it. */
  version: z.number().int().nonnegative(),
  source: z.enum(['remote', 'local-emergency']),
  at: z.number().int(),
});
export type ReportedMode = z.infer<typeof reportedMode>;

/** Live lane status, retained; the last will says offline. */
export const laneStatus = z.object({
  state: z.enum(['online', 'offline']),
  at: z.number().int().optional(),
  mode: mode.optional(),
  door: z.enum(['closed', 'open', 'emergency-open']).optional(),
  lane: z.string().optional(),
  lastDecision: z.object({ admit: z.boolean(), reason: z.string(), at: z.number().int() }).nullable().optional(),
  error: z.string().nullable().optional(),
  counters: z.object({ admitted: z.number().int(), refused: z.number().int(), passed: z.number().int(), returned: z.number().int() }).optional(),
  outbox: z.number().int().optional(),
  checkpoint: z.number().int().optional(),
  /** Sibling gates' entries this gate would not count (shared/auth/entries.ts), since it started. */
  siblingRefused: z.number().int().optional(),
  /** How full the lane's venue is by this gate's count (where a capacity is set): the dashboard warns from 'busy'. */
  load: z.object({ inPark: z.number().int(), capacity: z.number().int(), level: z.enum(['open', 'busy', 'full']) }).optional(),
});
export type LaneStatus = z.infer<typeof laneStatus>;

export const COMMANDS = ['open-once', 'sync-now', 'reboot'] as const;

/** A command to one device. It never runs after `expiresAt` (HQ time, UTC ms). */
export const commandRequest = z.object({
  id: uuid,
  name: z.enum(COMMANDS),
  args: z.record(z.string(), z.unknown()).default({}),
  expiresAt: z.number().int(),
});
export type CommandRequest = z.infer<typeof commandRequest>;

/** Acknowledged twice: accepted (or expired / rejected at once), then done or failed. */
export const commandResponse = z.object({
  id: uuid,
  status: z.enum(['accepted', 'done', 'failed', 'expired', 'rejected']),
  detail: z.string().max(200).optional(),
  at: z.number().int(),
});
export type CommandResponse = z.infer<typeof commandResponse>;
