import table from './decisions.json' with { type: 'json' };
import { businessDay, startOfBusinessDay } from '../time/zone.ts';
import { inParkDelta } from './capacity.ts';
import type { EntryQuestion, Verdict } from './decide.ts';
import { laneRules, timeSlot, typeRules, venueRules, type LaneRules, type Mode, type Passage, type TypeRules } from './model.ts';
import { admitKind, admitMessage, refusalMessage } from './reasons.ts';

/**
 * Loads the shared decision table (decisions.json) into engine questions and expectations,
 * so the engine, the gate and the cloud are all held to the same cases.
 */
export const TABLE_TZ = 'Asia/Shanghai';
export const TICKET_ID = '0190d3a2-7c4e-7a11-9b2c-3d4e5f607182';

/** 'YYYY-MM-DD HH:MM[:SS]' site-local, or an ISO instant ending in Z. */
export function tableTime(text: string): number {
  if (text.endsWith('Z')) return Date.parse(text);
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) throw new Error(`bad time in decision table: ${text}`);
  return startOfBusinessDay(m[1]!, TABLE_TZ) + (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0)) * 1000;
}

export interface Expectation {
  admit: boolean;
  reason?: string;
  kind?: string;
  persons?: number;
  remaining?: number | null;
  faceRequired?: boolean;
  detail?: Record<string, unknown>;
  message?: string;
  messageEn?: string;
}

export interface TableCase {
  name: string;
  question: EntryQuestion;
  expect: Expectation;
}

type RawCase = (typeof table.cases)[number] & Record<string, any>;
const lanes = table.lanes as Record<string, unknown>;

function lane(spec: unknown): LaneRules {
  return laneRules.parse(typeof spec === 'string' ? lanes[spec] : spec ?? table.defaults.lane);
}

type RawTicket = { ticket?: Record<string, any>; type?: Record<string, any> | null; history?: Record<string, any>[]; revoked?: string | null; slot?: Record<string, any> };

/** One ticket of a case as the engine sees it; `id` names it. */
function question(c: RawCase, raw: RawTicket, id: string): EntryQuestion {
  const t = { ...table.defaults.ticket, ...(raw.ticket ?? {}) };
  const theLane = lane(c.lane);
  const history: Passage[] = (raw.history ?? []).map((h: Record<string, any>) => ({
    at: tableTime(h.at), lane: h.lane ?? theLane.lane, venue: h.venue ?? 'main',
    direction: h.direction ?? 'in', kind: h.kind ?? 'normal', persons: h.persons ?? 1,
  }));
  const type: TypeRules | undefined = raw.type === null ? undefined : typeRules.parse(raw.type ?? {});
  return {
    facts: {
      ticketId: id, typeId: t.typeId, persons: t.persons, entries: t.entries,
      validFrom: tableTime(t.validFrom) / 1000, validUntil: tableTime(t.validUntil) / 1000,
    },
    type, lane: theLane, direction: (c.direction ?? table.defaults.direction) as 'in' | 'out', mode: (c.mode ?? table.defaults.mode) as Mode,
    revoked: raw.revoked ?? null, history, persons: c.persons, now: tableTime(c.now ?? table.defaults.now), tz: TABLE_TZ,
    siteLanes: c.siteLanes?.map((l: string) => lane(l)),
    ...(raw.slot ? { slot: timeSlot.parse(raw.slot) } : {}),
    ...(c.venueRules ? { venue: venueRules.parse({ venue: theLane.venue, ...c.venueRules }) } : {}),
    ...(c.inPark ? { inPark: { count: c.inPark.count, stale: c.inPark.stale ?? false } } : {}),
  };
}

export function loadDecisionTable(): TableCase[] {
  return (table.cases as RawCase[]).map((c) => ({ name: c.name, question: question(c, c, TICKET_ID), expect: c.expect as Expectation }));
}

/** A ticket id of a pick case: time-ordered like UUIDv7, so the first listed is the oldest. */
export const pickTicketId = (index: number) => `0190d3a2-7c4e-7a11-9b2c-3d4e5f60${String(index).padStart(4, '0')}`;

export interface PickCase {
  name: string;
  /** The credential every ticket of the case is bound to, in the order listed. */
  credential: { kind: 'idcard' | 'card' | 'barcode'; value: string };
  /** Bound in this order; a revoked one is revoked right after its binding. */
  tickets: { label: string; question: EntryQuestion }[];
  expect: Expectation & { ticket: string; among?: number };
}

/** Cases where one credential stands for several tickets (shared/rules/pick.ts). */
export function loadPickTable(): PickCase[] {
  return (table.picks as unknown as Record<string, any>[]).map((c): PickCase => ({
    name: c.name, credential: c.credential,
    tickets: (c.tickets as (RawTicket & { label: string })[]).map((t, i) => ({ label: t.label, question: question(c as RawCase, t, pickTicketId(i + 1)) })),
    expect: c.expect,
  }));
}

/** The label of the ticket a decision was for, in a pick case. */
export function pickLabel(c: PickCase, ticketId: string | undefined): string | undefined {
  return c.tickets.find((t) => t.question.facts.ticketId === ticketId)?.label;
}

/** What of an expectation of a pick case the engine's verdict speaks of (all but ticket and among). */
export function verdictPart(e: PickCase['expect']): Expectation {
  const { ticket: _t, among: _a, ...rest } = e;
  return rest;
}

/** The part of a verdict (plus its messages) an expectation speaks of, for assert.equal. */
export function comparable(v: Verdict, e: Expectation): Record<string, unknown> {
  const full: Record<string, unknown> = v.admit
    ? { admit: true, kind: v.kind, persons: v.persons, remaining: v.remaining, faceRequired: v.faceRequired,
        message: admitMessage(v.persons, v.remaining, 'zh-CN', admitKind(v.kind)),
        messageEn: admitMessage(v.persons, v.remaining, 'en', admitKind(v.kind)) }
    : { admit: false, reason: v.reason, detail: v.detail,
        message: refusalMessage(v.reason, { ...v.detail, tz: TABLE_TZ }), messageEn: refusalMessage(v.reason, { ...v.detail, tz: TABLE_TZ }, 'en') };
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(e)) {
    if (k === 'detail' && e.detail) {
      const d = (full.detail ?? {}) as Record<string, unknown>;
      out.detail = Object.fromEntries(Object.keys(e.detail).map((dk) => [dk, d[dk]]));
    } else out[k] = full[k];
  }
  return out;
}

/**
 * Persons of other tickets inside the venue in a case with `inPark`: what a gate or HQ must
 * hold besides the ticket's own passages for its count to be the case's. Tiers that count
 * from their passage log add them as passages (emergency ones, no ticket) at the case's time.
 */
export function othersInside(q: EntryQuestion): number {
  if (!q.inPark) return 0;
  const dayStart = startOfBusinessDay(businessDay(q.now, q.tz), q.tz);
  const own = q.history.filter((p) => p.venue === q.lane.venue && p.at >= dayStart && p.at <= q.now).reduce((n, p) => n + inParkDelta(p), 0);
  return q.inPark.count - Math.max(0, own);
}
