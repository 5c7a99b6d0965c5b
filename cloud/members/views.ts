import { z } from 'zod';

/** What the member routes answer (cardView, findMembers in service.ts), for the OpenAPI document and the app's client. */
const id = z.string();
const instant = z.string().describe('ISO instant');
const day = z.string().describe('YYYY-MM-DD, business day in the site\'s zone');
const fen = z.number().int();

export const memberView = z.object({
  id, name: z.string(), sex: z.string().nullable(), phone: z.string(), idNumber: z.string().nullable(), employeeNo: z.string().nullable(), createdAt: instant,
}).meta({ id: 'Member' });

export const memberCardView = z.object({
  cardNo: z.string(), kind: z.string(), type: z.string(), state: z.string(), expired: z.boolean(), cardUid: z.string().nullable(),
  validFrom: day, expiresOn: day, replacedBy: z.string().nullable(), member: memberView,
  ticket: z.object({ id, code: z.string(), validFrom: instant, validUntil: instant, entries: z.number().int(), revoked: z.string().nullable() }),
  events: z.array(z.object({
    event: z.string(), priceFen: fen.nullable(), expiresBefore: day.nullable(), expiresAfter: day.nullable(), ticketId: id.nullable(), note: z.string().nullable(), at: instant,
  })),
}).meta({ id: 'MemberCard' });

export const membersView = z.array(memberView.extend({
  cards: z.array(z.object({
    cardNo: z.string(), kind: z.string(), type: z.string(), state: z.string(), expiresOn: day, expired: z.boolean(), cardUid: z.string().nullable(), ticketId: id,
  })),
}).meta({ id: 'MemberWithCards' }));

export const expiringView = z.object({
  from: day, until: day,
  items: z.array(z.object({ cardNo: z.string(), kind: z.string(), type: z.string(), expiresOn: day, name: z.string(), phone: z.string() })),
}).meta({ id: 'ExpiringCards' });
