import { randomInt } from 'node:crypto';
import { and, asc, desc, eq, gte, inArray, lte } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { PHONE, normaliseLookup } from '../../shared/booking/lookup.ts';
import { isValidIdNumber, normaliseCredential } from '../../shared/rules/credential.ts';
import { typeRules } from '../../shared/rules/model.ts';
import { addDays, businessDay, startOfBusinessDay } from '../../shared/time/zone.ts';
import { ticketTypeByCode, type TicketType } from '../catalog/service.ts';
import type { CloudContext } from '../context.ts';
import { requireSite } from '../sites/service.ts';
import { memberCardEvents, memberCards, members, tickets, ticketTypes } from '../db/schema/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import type { IdempotencyClaim } from '../http/idempotency.ts';
import { bindCredentialTx, moveCredentials } from '../tickets/credentials.ts';
import { ledger } from '../ledger/index.ts';
import { moveFingerprint } from '../fingerprints/service.ts';
import { auditedTx, type Tx } from '../office/audit.ts';
import { CARD_KINDS, renewedExpiry, termFrom, type CardKind } from './term.ts';
import { calendarDay } from '../../shared/time/day.ts';

const cardNo = z.string().regex(/^[A-Za-z0-9-]{4,32}$/, '4-32 letters, digits or -');
const cardUid = z.string().regex(/^[0-9A-Fa-f]{8,20}$/, 'a card UID is 8 to 20 hex digits');

export const memberDetails = z.object({
  name: z.string().trim().min(1).max(64),
  sex: z.enum(['M', 'F']).optional(),
  phone: z.string().min(5).max(20),
  idNumber: z.string().min(15).max(20).optional(),
  employeeNo: z.string().min(1).max(32).optional(),
}).strict();

/** How a card's price or fee is paid (default cash): into the seller's shift, else the office's cash book. */
export const cardPayment = z.object({
  method: z.enum(['cash', 'card', 'mobile']).default('cash'),
  reference: z.string().min(1).max(64).optional(),
}).strict().refine((p) => p.method === 'cash' || p.reference, { message: '银行卡和移动支付须填写凭证号 / card and mobile need a reference', path: ['reference'] });

export const issueRequest = z.object({
  /** A new holder's details, or an existing holder's id. */
  member: memberDetails.optional(),
  memberId: z.string().uuid().optional(),
  type: z.string().min(1).max(32),
  kind: z.enum(CARD_KINDS),
  cardNo: cardNo.optional(),
  cardUid: cardUid.optional(),
  /** Also admit the holder by ID card at the gates (local-resident passes). */
  bindIdCard: z.boolean().default(false),
  site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  payment: cardPayment.optional(),
}).strict().refine((r) => (r.member ? 1 : 0) + (r.memberId ? 1 : 0) === 1, { message: 'give member (details) or memberId' });

export const renewRequest = z.object({
  /** The expiry the seller saw: a renewal sent twice does not add two years. */
  expiresOn: calendarDay,
  payment: cardPayment.optional(),
}).strict();

export const reissueRequest = z.object({
  reason: z.enum(['lost', 'damaged']),
  cardNo: cardNo.optional(),
  cardUid: cardUid.optional(),
  feeFen: z.number().int().min(0).max(1_000_000).default(0),
  payment: cardPayment.optional(),
}).strict();

export const memberQuery = z.object({
  phone: z.string().min(4).max(20).optional(),
  idNumber: z.string().min(15).max(20).optional(),
  cardNo: z.string().min(1).max(32).optional(),
  cardUid: z.string().min(1).max(20).optional(),
  name: z.string().min(1).max(64).optional(),
}).strict().refine((q) => Object.values(q).some((v) => v !== undefined), { message: 'give phone, idNumber, cardNo, cardUid or name' });

type Card = typeof memberCards.$inferSelect;

function checkDetails(d: z.infer<typeof memberDetails>) {
  const phone = normaliseLookup('phone', d.phone);
  if (!PHONE.test(phone)) throw new AppError('invalid_phone', '手机号无效 / not a valid mobile number', 422);
  const idNumber = d.idNumber === undefined ? undefined : normaliseLookup('id', d.idNumber);
  if (idNumber !== undefined && !isValidIdNumber(idNumber)) throw new AppError('invalid_id_number', '身份证号无效 / not a valid ID card number', 422);
  return { ...d, phone, idNumber };
}

/** The card's type must be a member type (or a staff type for staff cards). */
function checkType(type: TicketType, kind: CardKind) {
  const rules = typeRules.parse(type.rules);
  const want = kind === 'staff' ? 'staff' : 'member';
  if (rules.kind !== want) throw new AppError('wrong_type_kind', `票种 ${type.code} 不是${want === 'staff' ? '员工' : '会员'}票种 / ticket type ${type.code} is not a ${want} type`, 422, { type: type.code, kind: rules.kind });
}

const window = (ctx: CloudContext, fromDay: string, lastDay: string) => ({
  validFrom: startOfBusinessDay(fromDay, ctx.config.timeZone),
  validUntil: startOfBusinessDay(addDays(lastDay, 1), ctx.config.timeZone),
});

/**
 * A card's money through the ledger: one order of channel `members` with its one line and
 * its payment (none, with the reason, when it is free).
 */
async function sellCard(tx: Tx, ctx: CloudContext, o: {
  userId?: string; site: string; day: string; type: TicketType; priceFen: number; validFrom: number; validUntil: number; entries?: number;
  payment?: z.infer<typeof cardPayment>; freeReason: string; note: string; at: number;
}) {
  const actor = await ledger.deskActor(tx, o.userId);
  const p = o.payment ?? { method: 'cash' as const };
  const sold = await ledger.sell(tx, ctx, actor, {
    site: o.site, visitDay: o.day, channel: 'members', at: o.at, note: o.note, freeReason: o.priceFen === 0 ? o.freeReason : null,
    lines: [{ type: o.type, quantity: 1, unitFen: o.priceFen, validFrom: o.validFrom, validUntil: o.validUntil, entries: o.entries }],
    payments: o.priceFen === 0 ? [] : [p.method === 'cash' ? { method: 'cash', amountFen: o.priceFen } : { method: p.method, amountFen: o.priceFen, reference: p.reference! }],
  });
  const line = sold.lines[0]!;
  return { saleId: line.saleId, tickets: line.tickets };
}

/** Binds a card UID or ID number to the card's current ticket (moving it from an older ticket of the same card). */
async function bind(tx: Tx, site: string, kind: 'card' | 'idcard', raw: string, ticketId: string, movableFrom: string[]) {
  await bindCredentialTx(tx, site, ticketId, kind, raw, { movableFrom });
}

/** Issues a card: a holder (new or known), a ticket valid for the card's term from today, at the type's price. */
export async function issueCard(ctx: CloudContext, input: z.infer<typeof issueRequest>, opts: { userId?: string; idem?: IdempotencyClaim } = {}) {
  const type = await ticketTypeByCode(ctx.db, input.type);
  checkType(type, input.kind);
  const details = input.member ? checkDetails(input.member) : undefined;
  if (input.bindIdCard && !(details?.idNumber) && !input.memberId) throw new AppError('id_number_required', '绑定身份证须填身份证号 / bindIdCard needs the holder\'s ID number', 422);
  const site = input.site ?? ctx.config.site;
  await requireSite(ctx.db, site, { active: true });
  const now = ctx.now();
  const today = businessDay(now, ctx.config.timeZone);
  const expiresOn = termFrom(today, input.kind);
  const no = input.cardNo ?? `M${String(randomInt(0, 1e10)).padStart(10, '0')}`;
  await auditedTx(ctx.db, async (tx) => {
    let memberId = input.memberId;
    let idNumber = details?.idNumber;
    if (memberId) {
      const [m] = await tx.select().from(members).where(eq(members.id, memberId));
      if (!m) throw notFound('member', memberId);
      idNumber = m.idNumber ?? undefined;
      if (input.bindIdCard && !idNumber) throw new AppError('id_number_required', '会员无身份证号 / the member has no ID number on file', 422);
    } else {
      memberId = uuidv7();
      await tx.insert(members).values({ id: memberId, name: details!.name, sex: details!.sex ?? null, phone: details!.phone, idNumber: idNumber ?? null, employeeNo: details!.employeeNo ?? null, createdAt: new Date(now) });
    }
    const sale = await sellCard(tx, ctx, { userId: opts.userId, site, day: today, type, priceFen: type.priceFen, ...window(ctx, today, expiresOn), payment: input.payment, freeReason: `免费卡种 ${type.code}`, note: `办卡 ${no}`, at: now });
    const ticketId = sale.tickets[0]!.id;
    const cardId = uuidv7();
    const [card] = await tx.insert(memberCards).values({
      id: cardId, cardNo: no, memberId, typeId: type.id, kind: input.kind, state: 'active', cardUid: input.cardUid ? normaliseCredential('card', input.cardUid) : null,
      validFrom: today, expiresOn, ticketId, createdAt: new Date(now),
    }).onConflictDoNothing({ target: memberCards.cardNo }).returning();
    if (!card) throw new AppError('duplicate', `卡号已存在 / card number already in use: ${no}`, 409);
    if (input.cardUid) await bind(tx, site, 'card', input.cardUid, ticketId, []);
    if (input.bindIdCard) await bind(tx, site, 'idcard', idNumber!, ticketId, []);
    await tx.insert(memberCardEvents).values({ id: uuidv7(), cardId, event: 'issue', priceFen: type.priceFen, expiresBefore: null, expiresAfter: expiresOn, ticketId, saleId: sale.saleId, byUserId: opts.userId ?? null, at: new Date(now) });
    await opts.idem?.claim(tx, { cardNo: no });
  });
  ctx.notify(site);
  return cardView(ctx, no);
}

async function lockCard(tx: Tx, no: string): Promise<Card> {
  const [card] = await tx.select().from(memberCards).where(eq(memberCards.cardNo, no)).for('update');
  if (!card) throw notFound('member card', no);
  if (card.state !== 'active') throw new AppError('card_void', `卡已作废 / card ${no} is void (reissued)`, 409, { replacedBy: card.replacedBy });
  return card;
}

/**
 * Renews a card at the ticket type's current price: an unexpired card gains a term on top of
 * its expiry, an expired one runs a term from today. A new ticket carries the new validity;
 * the old one is revoked and the card UID moves to the new one.
 */
export async function renewCard(ctx: CloudContext, no: string, input: z.infer<typeof renewRequest>, opts: { userId?: string; idem?: IdempotencyClaim } = {}) {
  const now = ctx.now();
  const today = businessDay(now, ctx.config.timeZone);
  let site = '';
  await auditedTx(ctx.db, async (tx) => {
    const card = await lockCard(tx, no);
    if (card.expiresOn !== input.expiresOn) {
      throw new AppError('stale_expiry', `卡的有效期已是 ${card.expiresOn}（可能已续期）/ the card now expires on ${card.expiresOn}: renewed already?`, 409, { expiresOn: card.expiresOn });
    }
    const [type] = await tx.select().from(ticketTypes).where(eq(ticketTypes.id, card.typeId));
    const kind = card.kind as CardKind;
    const expiresOn = renewedExpiry(card.expiresOn, today, kind);
    const [old] = await tx.select().from(tickets).where(eq(tickets.id, card.ticketId));
    site = old!.site;
    const sale = await sellCard(tx, ctx, { userId: opts.userId, site, day: today, type: type!, priceFen: type!.priceFen, ...window(ctx, today, expiresOn), payment: input.payment, freeReason: `免费卡种 ${type!.code}`, note: `续卡 ${no}`, at: now });
    const ticketId = sale.tickets[0]!.id;
    await moveCredentials(tx, site, card.ticketId, ticketId);
    await moveFingerprint(tx, site, card.ticketId, ticketId);
    await ledger.revokeTickets(tx, site, [card.ticketId], 'reissued');
    await tx.update(memberCards).set({ expiresOn, ticketId }).where(eq(memberCards.id, card.id));
    await tx.insert(memberCardEvents).values({ id: uuidv7(), cardId: card.id, event: 'renew', priceFen: type!.priceFen, expiresBefore: card.expiresOn, expiresAfter: expiresOn, ticketId, saleId: sale.saleId, byUserId: opts.userId ?? null, at: new Date(now) });
    await opts.idem?.claim(tx, { cardNo: no });
  });
  ctx.notify(site);
  return cardView(ctx, no);
}

/**
 * Reissues a lost or damaged card: the old card is void and its ticket revoked (gates refuse
 * it, and its UID, from their next pull); a new card number carries the same holder, type
 * and expiry on a new ticket. An ID card binding moves to the new ticket; the old UID does not.
 */
export async function reissueCard(ctx: CloudContext, no: string, input: z.infer<typeof reissueRequest>, opts: { userId?: string; idem?: IdempotencyClaim } = {}) {
  const now = ctx.now();
  const today = businessDay(now, ctx.config.timeZone);
  const newNo = input.cardNo ?? `M${String(randomInt(0, 1e10)).padStart(10, '0')}`;
  if (newNo === no) throw new AppError('same_card_no', '新卡号须不同 / the new card needs another number', 422);
  let site = '';
  await auditedTx(ctx.db, async (tx) => {
    const card = await lockCard(tx, no);
    const [type] = await tx.select().from(ticketTypes).where(eq(ticketTypes.id, card.typeId));
    const [old] = await tx.select().from(tickets).where(eq(tickets.id, card.ticketId));
    site = old!.site;
    const from = card.validFrom > today ? card.validFrom : today;
    const sale = await sellCard(tx, ctx, { userId: opts.userId, site, day: today, type: type!, priceFen: input.feeFen, entries: old!.entries, ...window(ctx, from, card.expiresOn), payment: input.payment, freeReason: `补卡免工本费 (${input.reason})`, note: `补卡 ${no} -> ${newNo}`, at: now });
    const ticketId = sale.tickets[0]!.id;
    await moveCredentials(tx, site, card.ticketId, ticketId, ['idcard']);
    // The holder's finger is the holder's, whichever card they carry.
    await moveFingerprint(tx, site, card.ticketId, ticketId);
    await ledger.revokeTickets(tx, site, [card.ticketId], input.reason === 'lost' ? 'lost' : 'reissued');
    const newId = uuidv7();
    const [made] = await tx.insert(memberCards).values({
      id: newId, cardNo: newNo, memberId: card.memberId, typeId: card.typeId, kind: card.kind, state: 'active',
      cardUid: input.cardUid ? normaliseCredential('card', input.cardUid) : null, validFrom: card.validFrom, expiresOn: card.expiresOn, ticketId, createdAt: new Date(now),
    }).onConflictDoNothing({ target: memberCards.cardNo }).returning();
    if (!made) throw new AppError('duplicate', `卡号已存在 / card number already in use: ${newNo}`, 409);
    if (input.cardUid) await bind(tx, site, 'card', input.cardUid, ticketId, []);
    await tx.update(memberCards).set({ state: 'void', replacedBy: newId }).where(eq(memberCards.id, card.id));
    await tx.insert(memberCardEvents).values({ id: uuidv7(), cardId: newId, event: 'reissue', priceFen: input.feeFen, expiresBefore: card.expiresOn, expiresAfter: card.expiresOn, ticketId, saleId: sale.saleId, byUserId: opts.userId ?? null, note: `replaces ${no} (${input.reason})`, at: new Date(now) });
    await opts.idem?.claim(tx, { cardNo: newNo });
  });
  ctx.notify(site);
  return cardView(ctx, newNo);
}

export async function cardView(ctx: CloudContext, no: string) {
  const [row] = await ctx.db.select({ card: memberCards, member: members, type: ticketTypes.code }).from(memberCards)
    .innerJoin(members, eq(members.id, memberCards.memberId)).innerJoin(ticketTypes, eq(ticketTypes.id, memberCards.typeId))
    .where(eq(memberCards.cardNo, no));
  if (!row) throw notFound('member card', no);
  const [t] = await ctx.db.select().from(tickets).where(eq(tickets.id, row.card.ticketId));
  const events = await ctx.db.select().from(memberCardEvents).where(eq(memberCardEvents.cardId, row.card.id)).orderBy(asc(memberCardEvents.at));
  const today = businessDay(ctx.now(), ctx.config.timeZone);
  const c = row.card;
  return {
    cardNo: c.cardNo, kind: c.kind, type: row.type, state: c.state, expired: c.expiresOn < today, cardUid: c.cardUid,
    validFrom: c.validFrom, expiresOn: c.expiresOn, replacedBy: c.replacedBy,
    member: memberView(row.member),
    ticket: { id: t!.id, code: t!.code, validFrom: t!.validFrom.toISOString(), validUntil: t!.validUntil.toISOString(), entries: t!.entries, revoked: t!.revokedReason },
    events: events.map((e) => ({ event: e.event, priceFen: e.priceFen, expiresBefore: e.expiresBefore, expiresAfter: e.expiresAfter, ticketId: e.ticketId, note: e.note, at: e.at.toISOString() })),
  };
}

const memberView = (m: typeof members.$inferSelect) => ({
  id: m.id, name: m.name, sex: m.sex, phone: m.phone, idNumber: m.idNumber, employeeNo: m.employeeNo, createdAt: m.createdAt.toISOString(),
});

/** Members by phone, ID number, card number, card UID or name, with their cards. */
export async function findMembers(ctx: CloudContext, q: z.infer<typeof memberQuery>) {
  const conds = [];
  if (q.phone) conds.push(eq(members.phone, normaliseLookup('phone', q.phone)));
  if (q.idNumber) conds.push(eq(members.idNumber, normaliseLookup('id', q.idNumber)));
  if (q.name) conds.push(eq(members.name, q.name.trim()));
  if (q.cardNo || q.cardUid) {
    const cards = await ctx.db.select({ memberId: memberCards.memberId }).from(memberCards)
      .where(q.cardNo ? eq(memberCards.cardNo, q.cardNo) : eq(memberCards.cardUid, q.cardUid!.toUpperCase()));
    conds.push(inArray(members.id, cards.length ? cards.map((c) => c.memberId) : ['00000000-0000-0000-0000-000000000000']));
  }
  const found = await ctx.db.select().from(members).where(and(...conds)).orderBy(desc(members.createdAt)).limit(50);
  if (found.length === 0) return [];
  const cards = await ctx.db.select({ card: memberCards, type: ticketTypes.code }).from(memberCards)
    .innerJoin(ticketTypes, eq(ticketTypes.id, memberCards.typeId))
    .where(inArray(memberCards.memberId, found.map((m) => m.id))).orderBy(asc(memberCards.createdAt));
  const today = businessDay(ctx.now(), ctx.config.timeZone);
  return found.map((m) => ({
    ...memberView(m),
    cards: cards.filter((c) => c.card.memberId === m.id).map(({ card, type }) => ({
      cardNo: card.cardNo, kind: card.kind, type, state: card.state, expiresOn: card.expiresOn, expired: card.expiresOn < today, cardUid: card.cardUid, ticketId: card.ticketId,
    })),
  }));
}


export const expiringQuery = z.object({ days: z.coerce.number().int().min(0).max(366).default(30) }).strict();

/** Active cards that run out within `days` business days from today (today included), soonest first: whom marketing calls to renew. */
export async function expiringCards(ctx: CloudContext, q: z.infer<typeof expiringQuery>) {
  const today = businessDay(ctx.now(), ctx.config.timeZone);
  const until = addDays(today, q.days);
  const rows = await ctx.db.select({ card: memberCards, member: members, type: ticketTypes.code }).from(memberCards)
    .innerJoin(members, eq(members.id, memberCards.memberId)).innerJoin(ticketTypes, eq(ticketTypes.id, memberCards.typeId))
    .where(and(eq(memberCards.state, 'active'), gte(memberCards.expiresOn, today), lte(memberCards.expiresOn, until)))
    .orderBy(asc(memberCards.expiresOn), asc(memberCards.cardNo)).limit(500);
  return {
    from: today, until,
    items: rows.map(({ card, member, type }) => ({ cardNo: card.cardNo, kind: card.kind, type, expiresOn: card.expiresOn, name: member.name, phone: member.phone })),
  };
}
