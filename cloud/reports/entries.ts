import { sql } from 'drizzle-orm';
import { businessDay, startOfBusinessDay } from '../../shared/time/zone.ts';
import { col, num, query, siteIs, type ReportDef, type ReportParams, type Row } from './model.ts';
import { fromLocalHour, localHourBins } from './range.ts';

/*
 * Passages from `entries` at their HQ-corrected time. A 'return' gives back persons of an
 * earlier passage that did not go through, so it counts negative in its direction.
 */
const signed = sql`(case when e.kind = 'return' then -e.persons else e.persons end)`;
const flows = sql`count(*) filter (where e.kind <> 'return') as passages,
  coalesce(sum(${signed}) filter (where e.direction = 'in'), 0) as persons_in,
  coalesce(sum(${signed}) filter (where e.direction = 'out'), 0) as persons_out,
  coalesce(sum(e.persons) filter (where e.kind = 'emergency'), 0) as emergency`;
const inRange = (p: ReportParams) => sql`e.corrected_time >= ${p.range.start} and e.corrected_time < ${p.range.end}${siteIs(sql`e.site`, p.site)}`;

const flowCols = [
  col('passages', 'int', '通行次数', 'Passages'), col('personsIn', 'int', '入园人数', 'Persons in'),
  col('personsOut', 'int', '出园人数', 'Persons out'), col('emergency', 'int', '紧急通行人数', 'Emergency persons'),
];
const flowRow = (r: Record<string, unknown>): Row => ({ passages: num(r.passages), personsIn: num(r.persons_in), personsOut: num(r.persons_out), emergency: num(r.emergency) });

export const entriesByGate: ReportDef = {
  name: 'entries-by-gate', zh: '闸机通行', en: 'Entries by gate', ranged: true,
  source: 'entries (HQ-corrected time)',
  columns: [col('site', 'text', '景区', 'Site'), col('device', 'text', '闸机', 'Gate'), ...flowCols],
  async run({ db }, p) {
    const rows = await query(db, sql`select e.site, e.device, ${flows} from entries e where ${inRange(p)} group by 1, 2 order by 1, 2`);
    return rows.map((r) => ({ site: String(r.site), device: String(r.device), ...flowRow(r) }));
  },
};

export const entriesByLane: ReportDef = {
  name: 'entries-by-lane', zh: '通道通行', en: 'Entries by lane', ranged: true,
  source: 'entries (HQ-corrected time)',
  columns: [col('site', 'text', '景区', 'Site'), col('venue', 'text', '场馆', 'Venue'), col('lane', 'text', '通道', 'Lane'), col('device', 'text', '闸机', 'Gate'), ...flowCols],
  async run({ db }, p) {
    const rows = await query(db, sql`select e.site, e.venue, e.lane, e.device, ${flows} from entries e where ${inRange(p)} group by 1, 2, 3, 4 order by 1, 2, 3, 4`);
    return rows.map((r) => ({ site: String(r.site), venue: String(r.venue), lane: String(r.lane), device: String(r.device), ...flowRow(r) }));
  },
};

export const entriesByHour: ReportDef = {
  name: 'entries-by-hour', zh: '分时入园', en: 'Entries by hour', ranged: true,
  source: 'entries (HQ-corrected time), bucketed by hour in the site\'s time zone',
  columns: [col('day', 'day', '日期', 'Day'), col('hour', 'int', '小时', 'Hour', false), ...flowCols],
  async run({ db }, p) {
    const hours = localHourBins(sql`e.corrected_time`, p.range);
    const rows = await query(db, sql`select ${hours.bin} as h, ${flows} from entries e where ${inRange(p)} group by 1`);
    // Bins of one local hour add up; a DST fall-back hour occurs twice and lands in one row.
    const byHour = new Map<number, Row>();
    for (const r of rows) {
      const h = hours.hourOf(r.h);
      const f = flowRow(r);
      const o = byHour.get(h);
      if (o) for (const k of Object.keys(f)) o[k] = num(o[k]) + num(f[k]);
      else byHour.set(h, f);
    }
    return [...byHour].sort((a, b) => a[0] - b[0]).map(([h, f]) => ({ ...fromLocalHour(h), ...f }));
  },
};

export const inPark: ReportDef = {
  name: 'in-park', zh: '在园人数', en: 'Visitors in the park', ranged: false,
  source: 'entries since the start of the business day (site time zone) up to the time asked for: persons in minus persons out, per venue',
  columns: [
    col('venue', 'text', '场馆', 'Venue'), col('personsIn', 'int', '入园人数', 'Persons in'), col('personsOut', 'int', '出园人数', 'Persons out'),
    col('inPark', 'int', '在园人数', 'In the park'), col('lastPassage', 'instant', '最近通行', 'Last passage'),
  ],
  async run({ db }, p) {
    const dayStart = new Date(startOfBusinessDay(businessDay(p.at, p.range.timeZone), p.range.timeZone));
    const rows = await query(db, sql`select e.venue, ${flows}, max(e.corrected_time) as last from entries e
      where e.corrected_time >= ${dayStart} and e.corrected_time <= ${new Date(p.at)}${siteIs(sql`e.site`, p.site)} group by 1 order by 1`);
    return rows.map((r) => {
      const personsIn = num(r.persons_in);
      const personsOut = num(r.persons_out);
      const last = r.last instanceof Date ? r.last : new Date(String(r.last));
      // Exits are not counted at every site; the count never goes below zero.
      return { venue: String(r.venue), personsIn, personsOut, inPark: Math.max(0, personsIn - personsOut), lastPassage: last.toISOString() };
    });
  },
};

export const overUse: ReportDef = {
  name: 'over-use', zh: '超次使用', en: 'Over-use found at sync', ranged: true,
  source: 'over_use: tickets used beyond what they grant, by the time HQ first found it',
  columns: [
    col('foundAt', 'instant', '发现时间', 'Found at'), col('ticketId', 'text', '票号', 'Ticket'), col('type', 'text', '票种', 'Ticket type'), col('venue', 'text', '场馆', 'Venue'),
    col('allowed', 'int', '允许次数', 'Allowed', false), col('used', 'int', '使用次数', 'Used', false), col('excess', 'int', '超出', 'Excess'), col('devices', 'text', '闸机', 'Gates'),
  ],
  async run({ db }, p) {
    const rows = await query(db, sql`select u.first_found_at, u.ticket_id, tt.code, u.venue, u.allowed, u.used, u.devices
      from over_use u left join tickets t on t.id = u.ticket_id left join ticket_types tt on tt.id = t.type_id
      where u.first_found_at >= ${p.range.start} and u.first_found_at < ${p.range.end}${siteIs(sql`u.site`, p.site)}
      order by u.first_found_at, u.ticket_id, u.venue`);
    return rows.map((r) => {
      const at = r.first_found_at instanceof Date ? r.first_found_at : new Date(String(r.first_found_at));
      const devices = Array.isArray(r.devices) ? r.devices : JSON.parse(String(r.devices ?? '[]'));
      return {
        foundAt: at.toISOString(), ticketId: String(r.ticket_id), type: r.code === null ? '' : String(r.code), venue: String(r.venue),
        allowed: num(r.allowed), used: num(r.used), excess: num(r.used) - num(r.allowed), devices: (devices as string[]).join(' '),
      };
    });
  },
};
