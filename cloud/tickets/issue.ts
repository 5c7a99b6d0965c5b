import { inArray } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { encodeTicketCode } from '../../shared/code/ticket-code.ts';
import { fen, timesFen } from '../../shared/money/money.ts';
import type { CloudContext } from '../context.ts';
import type { Db } from '../db/open.ts';
import { sales, tickets } from '../db/schema/index.ts';
import type { TicketType } from '../catalog/service.ts';
import { appendChanges } from '../sync/changes.ts';
import { releaseCredentials } from './credentials.ts';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface IssuedTicket {
  id: string;
  code: string;
  typeId: number;
  validFrom: number;
  validUntil: number;
  persons: number;
  entries: number;
  priceFen: number;
}

/**
 * Records a sale and makes its tickets with signed codes inside the caller's transaction,
 * with their change-log rows, the same way a window sale does (sales/service.ts): so gates
 * admit booked, member and staff tickets like any other, and revocations reach them the
 * same way. Validity is given by the caller (a booking's visit day, a member card's term).
 * The caller rings the site's doorbell after commit.
 */
export async function issueSale(ctx: CloudContext, tx: Tx, opts: {
  site: string;
  type: TicketType;
  quantity: number;
  unitPriceFen: number;
  validFrom: number;
  validUntil: number;
  now: number;
  /** Entries per ticket, when not the type's (a count card renewed). */
  entries?: number;
}): Promise<{ saleId: string; tickets: IssuedTicket[] }> {
  const { site, type, quantity, unitPriceFen, validFrom, validUntil, now } = opts;
  const saleId = uuidv7();
  const made = Array.from({ length: quantity }, () => {
    const id = uuidv7();
    const facts = { ticketId: id, typeId: type.id, validFrom: Math.floor(validFrom / 1000), validUntil: Math.floor(validUntil / 1000), persons: type.persons, entries: opts.entries ?? type.entries };
    return { facts, code: encodeTicketCode(facts, ctx.key) };
  });
  await tx.insert(sales).values({
    id: saleId, site, typeId: type.id, quantity, unitPriceFen,
    totalFen: timesFen(fen(unitPriceFen), quantity), createdAt: new Date(now),
  });
  await tx.insert(tickets).values(made.map(({ facts, code }) => ({
    id: facts.ticketId, saleId, site, typeId: type.id, keyId: ctx.key.keyId, code,
    validFrom: new Date(facts.validFrom * 1000), validUntil: new Date(facts.validUntil * 1000), persons: facts.persons, entries: facts.entries,
    priceFen: unitPriceFen, issuedAt: new Date(now),
  })));
  await appendChanges(tx, site, made.map(({ facts }) => ({
    kind: 'ticket' as const,
    ticket: { id: facts.ticketId, typeId: facts.typeId, validFrom: facts.validFrom, validUntil: facts.validUntil, persons: facts.persons, entries: facts.entries },
  })));
  return {
    saleId,
    tickets: made.map(({ facts, code }) => ({
      id: facts.ticketId, code, typeId: type.id, validFrom: facts.validFrom, validUntil: facts.validUntil,
      persons: facts.persons, entries: facts.entries, priceFen: unitPriceFen,
    })),
  };
}

/** Revokes tickets inside the caller's transaction; gates refuse them from their next pull. */
export async function revokeInTx(tx: Tx, site: string, ticketIds: string[], reason: 'refunded' | 'lost' | 'reissued' | 'cancelled'): Promise<void> {
  if (ticketIds.length === 0) return;
  await tx.update(tickets).set({ revokedReason: reason }).where(inArray(tickets.id, ticketIds));
  await appendChanges(tx, site, ticketIds.map((ticketId) => ({ kind: 'revoke' as const, ticketId, reason })));
  await releaseCredentials(tx, site, ticketIds, reason);
}
