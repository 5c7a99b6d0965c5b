import { and, eq, inArray } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { publicKeyFromRaw } from '../../shared/code/keys.ts';
import { encodeTicketCode, readTicketCode } from '../../shared/code/ticket-code.ts';
import type { CloudContext } from '../context.ts';
import { hubKeys, tickets } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import type { Tx } from '../office/audit.ts';
import { appendChanges } from '../sync/changes.ts';
import { writeRowAtEnd } from '../db/at-end.ts';
import { releaseCredentials } from '../tickets/credentials.ts';

export interface IssuedTicket { id: string; code: string; typeId: number; validFrom: number; validUntil: number; persons: number; entries: number; priceFen: number }

/** A ticket signed elsewhere (a site hub, with the key HQ delegated to it), printed and maybe used already: kept as it is. */
export interface SignedTicket extends IssuedTicket { keyId: string }

/**
 * Checks tickets signed by a site hub before they are taken as they are: each code verifies
 * under a key HQ delegated to a hub of this site, and says what the row says.
 */
async function checkSigned(tx: Tx, site: string, typeId: number, list: SignedTicket[]) {
  const ids = [...new Set(list.map((t) => t.keyId))];
  const keys = await tx.select().from(hubKeys).where(and(eq(hubKeys.site, site), inArray(hubKeys.keyId, ids)));
  const ring = new Map(keys.map((k) => [k.keyId, publicKeyFromRaw(Buffer.from(k.publicKey, 'hex'))]));
  for (const t of list) {
    const read = readTicketCode(t.code, ring);
    const f = read.ok ? read.facts : null;
    const same = f && f.keyId === t.keyId && f.ticketId === t.id && f.typeId === typeId && t.typeId === typeId && f.validFrom === Math.floor(t.validFrom / 1000)
      && f.validUntil === Math.floor(t.validUntil / 1000) && f.persons === t.persons && f.entries === t.entries;
    if (!same) throw new AppError('ticket_signature', `票 ${t.id} 的签名无效或与记录不符 / ticket ${t.id} is not signed by a key of site ${site} as recorded (${read.ok ? 'facts differ' : read.reason})`, 409, { ticket: t.id, keyId: t.keyId });
  }
}

/**
 * Makes `count` tickets of a sale inside the caller's transaction: signed codes, ticket rows
 * and their change-log rows together, so a device that sees the change also finds the
 * ticket. Every ticket comes through here (sales of every channel, reissues).
 */
export async function issueTickets(tx: Tx, ctx: CloudContext, o: {
  saleId: string; site: string; type: { id: number; entries: number }; count: number; persons: number;
  /** Milliseconds. */
  validFrom: number; validUntil: number; priceFen: number;
  /** Entries granted, when not the type's (a reissued ticket keeps only what was left). */
  entries?: number;
  /** The booked time slot, signed into the code (a version 2 code) for gates that have not heard of the ticket. */
  slot?: { from: string; to: string };
  /** Tickets already signed by a site hub: checked and kept (ids, codes, key id) instead of signed here. */
  signed?: SignedTicket[];
  at: number;
}): Promise<IssuedTicket[]> {
  if (o.signed) return keepSigned(tx, { ...o, signed: o.signed });
  // Time-ordered ids: a gate's cache index then grows at its end instead of being written
  // all over (measured: cache updates 3x faster with 1M tickets in the cache).
  const rows = Array.from({ length: o.count }, () => {
    const id = uuidv7();
    const facts = { ticketId: id, typeId: o.type.id, validFrom: Math.floor(o.validFrom / 1000), validUntil: Math.floor(o.validUntil / 1000), persons: o.persons, entries: o.entries ?? o.type.entries, ...(o.slot ? { slot: o.slot } : {}) };
    return { ...facts, code: encodeTicketCode(facts, ctx.key) };
  });
  await writeRowAtEnd(tx, tx.insert(tickets).values(rows.map((r) => ({
    id: r.ticketId, saleId: o.saleId, site: o.site, typeId: o.type.id, keyId: ctx.key.keyId, code: r.code,
    validFrom: new Date(r.validFrom * 1000), validUntil: new Date(r.validUntil * 1000), persons: r.persons, entries: r.entries,
    priceFen: o.priceFen, issuedAt: new Date(o.at),
  }))));
  await appendChanges(tx, o.site, rows.map((r) => ({
    kind: 'ticket' as const,
    ticket: { id: r.ticketId, typeId: r.typeId, validFrom: r.validFrom, validUntil: r.validUntil, persons: r.persons, entries: r.entries },
  })));
  return rows.map((r) => ({ id: r.ticketId, code: r.code, typeId: r.typeId, validFrom: r.validFrom * 1000, validUntil: r.validUntil * 1000, persons: r.persons, entries: r.entries, priceFen: o.priceFen }));
}

async function keepSigned(tx: Tx, o: { saleId: string; site: string; type: { id: number }; count: number; signed: SignedTicket[]; at: number }): Promise<IssuedTicket[]> {
  if (o.signed.length !== o.count) throw new AppError('ticket_count', `sale ${o.saleId} has ${o.signed.length} tickets, ${o.count} expected`, 409);
  await checkSigned(tx, o.site, o.type.id, o.signed);
  await tx.insert(tickets).values(o.signed.map((t) => ({
    id: t.id, saleId: o.saleId, site: o.site, typeId: t.typeId, keyId: t.keyId, code: t.code,
    validFrom: new Date(t.validFrom), validUntil: new Date(t.validUntil), persons: t.persons, entries: t.entries, priceFen: t.priceFen, issuedAt: new Date(o.at),
  })));
  // The site's devices (and the hub's own copy) learn of the tickets as of any sale.
  await appendChanges(tx, o.site, o.signed.map((t) => ({
    kind: 'ticket' as const,
    ticket: { id: t.id, typeId: t.typeId, validFrom: Math.floor(t.validFrom / 1000), validUntil: Math.floor(t.validUntil / 1000), persons: t.persons, entries: t.entries },
  })));
  return o.signed.map(({ keyId: _, ...t }) => t);
}

/** Revokes tickets inside the caller's transaction; gates refuse them from their next pull. */
export async function revokeTickets(tx: Tx, site: string, ticketIds: string[], reason: 'refunded' | 'lost' | 'reissued' | 'cancelled', at?: number): Promise<void> {
  if (ticketIds.length === 0) return;
  await tx.update(tickets).set({ revokedReason: reason }).where(inArray(tickets.id, ticketIds));
  await appendChanges(tx, site, ticketIds.map((ticketId) => ({ kind: 'revoke' as const, ticketId, reason })));
  await releaseCredentials(tx, site, ticketIds, reason, at);
}
