import { z } from 'zod';

/**
 * A site hub's lease of capacity, as it travels (POST /api/v1/sync/hub/leases): HQ holds
 * places of a day's capacity (kind 'day': a ticket type's daily capacity, `ref` its id) or of
 * a time slot's quota (kind 'slot': `ref` the slot's id at HQ, `day` its day) for the hub,
 * which sells them while the WAN is down and never more. The counters are
 * cumulative and only grow, so an exchange is idempotent: an answer lost on the line is
 * repaired by the next one. Written by edge/hub, read by cloud/hub-sales/leases.ts.
 */
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const count = z.number().int().nonnegative().max(10_000_000);

export const LEASE_KINDS = ['day', 'slot'] as const;
export type LeaseKind = (typeof LEASE_KINDS)[number];
export const leaseKey = z.object({ kind: z.enum(LEASE_KINDS), ref: z.number().int().nonnegative(), day });
export type LeaseKey = z.infer<typeof leaseKey>;

export const leaseAsk = leaseKey.extend({
  /** Places the hub would like to have left to sell (HQ grants what it can of the rest). */
  want: count,
  /** Places the hub gave back, in all (it stopped selling them before it said so). */
  returned: count,
  /** Persons the hub sold of the lease, in all (uploaded or not). */
  sold: count,
});
export type LeaseAsk = z.infer<typeof leaseAsk>;

export const leaseExchange = z.object({ leases: z.array(leaseAsk).min(1).max(500) }).strict();

export const leaseGrant = leaseKey.extend({
  /** False: HQ does not limit this day (no capacity); the hub needs no lease for it. */
  limited: z.boolean(),
  /** Places granted, in all; the hub may sell granted - returned - sold. */
  granted: count,
  returned: count,
});
export type LeaseGrant = z.infer<typeof leaseGrant>;
export const leaseAnswer = z.object({ leases: z.array(leaseGrant) });

export const leaseKeyString = (k: LeaseKey) => `${k.kind}:${k.ref}:${k.day}`;
