import { z } from 'zod';

const DAY_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "YYYY-MM-DD" naming a day the calendar has: 2028-02-29 is one, 2026-02-30 and 2026-13-01 are not. */
export function isCalendarDay(text: string): boolean {
  const m = DAY_TEXT.exec(text);
  if (!m) return false;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === text;
}

/** The zod schema of a business day in requests: every "YYYY-MM-DD" the API accepts is one. */
export const calendarDay = z.string().regex(DAY_TEXT, 'a day YYYY-MM-DD').refine(isCalendarDay, 'not a calendar day');
