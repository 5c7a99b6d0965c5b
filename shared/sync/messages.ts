import { z } from 'zod';

/**
 * Messages between HQ and devices. Down: a change log read with `since=<checkpoint>`.
 * Up: outbox batches over MQTT QoS 1, acknowledged "up to seq" per device stream.
 */
export const topics = {
  up: (site: string, device: string) => `tk/v1/${site}/${device}/up`,
  upAck: (site: string, device: string) => `tk/v1/${site}/${device}/up/ack`,
  status: (site: string, device: string) => `tk/v1/${site}/${device}/status`,
  notify: (site: string) => `tk/v1/${site}/notify`,
  /** What HQ subscribes to: every device's uploads. */
  allUp: 'tk/v1/+/+/up',
} as const;

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
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

export const change = z.discriminatedUnion('kind', [
  z.object({ seq: z.number().int().positive(), kind: z.literal('ticket'), ticket: ticketRow }),
  z.object({ seq: z.number().int().positive(), kind: z.literal('revoke'), ticketId: uuid, reason: z.string().max(32) }),
  z.object({ seq: z.number().int().positive(), kind: z.literal('key'), keyId: z.string().regex(/^[0-9a-f]{8}$/), publicKey: z.string().regex(/^[0-9a-f]{64}$/) }),
]);
export type Change = z.infer<typeof change>;

export const changeBatch = z.object({
  since: z.number().int().nonnegative(),
  /** Checkpoint to store after applying this batch. */
  next: z.number().int().nonnegative(),
  more: z.boolean(),
  /** HQ's clock when it answered, UTC ms: devices learn their offset from it. */
  serverTime: z.number().int(),
  changes: z.array(change),
});
export type ChangeBatch = z.infer<typeof changeBatch>;

export const entryRecord = z.object({
  nonce: uuid,
  ticketId: uuid,
  persons: z.number().int().positive().max(10_000),
  lane: id,
  direction: z.enum(['in', 'out']),
  kind: z.enum(['normal', 'emergency']),
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
}).refine((b) => b.lastSeq >= b.firstSeq, { message: 'lastSeq before firstSeq' });
export type UpBatch = z.infer<typeof upBatch>;

export const upAck = z.object({ epoch: uuid, upTo: z.number().int().nonnegative() });
export type UpAck = z.infer<typeof upAck>;
