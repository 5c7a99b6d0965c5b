import table from './decisions.json' with { type: 'json' };
import { startOfBusinessDay } from '../time/zone.ts';
import type { EntryQuestion, Verdict } from './decide.ts';
import { laneRules, typeRules, type LaneRules, type Mode, type Passage, type TypeRules } from './model.ts';
import { admitMessage, refusalMessage } from './reasons.ts';

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

export function loadDecisionTable(): TableCase[] {
  return (table.cases as RawCase[]).map((c) => {
    const t = { ...table.defaults.ticket, ...(c.ticket ?? {}) };
    const theLane = lane(c.lane);
    const history: Passage[] = (c.history ?? []).map((h: Record<string, any>) => ({
      at: tableTime(h.at), lane: h.lane ?? theLane.lane, venue: h.venue ?? 'main',
      direction: h.direction ?? 'in', kind: h.kind ?? 'normal', persons: h.persons ?? 1,
    }));
    const type: TypeRules | undefined = c.type === null ? undefined : typeRules.parse(c.type ?? {});
    const question: EntryQuestion = {
      facts: {
        ticketId: TICKET_ID, typeId: t.typeId, persons: t.persons, entries: t.entries,
        validFrom: tableTime(t.validFrom) / 1000, validUntil: tableTime(t.validUntil) / 1000,
      },
      type, lane: theLane, direction: (c.direction ?? table.defaults.direction) as 'in' | 'out', mode: (c.mode ?? table.defaults.mode) as Mode,
      revoked: c.revoked ?? null, history, persons: c.persons, now: tableTime(c.now ?? table.defaults.now), tz: TABLE_TZ,
      siteLanes: c.siteLanes?.map((l: string) => lane(l)),
    };
    return { name: c.name, question, expect: c.expect as Expectation };
  });
}

/** The part of a verdict (plus its messages) an expectation speaks of, for assert.equal. */
export function comparable(v: Verdict, e: Expectation): Record<string, unknown> {
  const full: Record<string, unknown> = v.admit
    ? { admit: true, kind: v.kind, persons: v.persons, remaining: v.remaining, faceRequired: v.faceRequired,
        message: admitMessage(v.persons, v.remaining, 'zh-CN', v.kind === 'return' ? 'normal' : v.kind),
        messageEn: admitMessage(v.persons, v.remaining, 'en', v.kind === 'return' ? 'normal' : v.kind) }
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
