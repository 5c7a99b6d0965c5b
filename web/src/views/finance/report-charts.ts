import type { EChartsCoreOption } from 'echarts/core';

type Row = Record<string, string | number | null>;
const yuanOf = (v: unknown) => Math.round(Number(v ?? 0)) / 100;

/**
 * A chart where a picture says more than the table: sales over days, shares by channel, type
 * and payment method, entries by hour. Money is shown in yuan; the table keeps exact fen.
 */
export function chartFor(report: string, rows: Row[], label: (key: string) => string): EChartsCoreOption | undefined {
  const bar = (cat: string, keys: string[], money: boolean): EChartsCoreOption => ({
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 56, right: 16, top: 32, bottom: 28 },
    xAxis: { type: 'category', data: rows.map((r) => String(r[cat] ?? '')) },
    yAxis: { type: 'value' },
    series: keys.map((k) => ({ name: label(k), type: 'bar', data: rows.map((r) => (money ? yuanOf(r[k]) : Number(r[k] ?? 0))) })),
  });
  const pie = (cat: string, key: string): EChartsCoreOption => ({
    tooltip: { trigger: 'item', formatter: '{b}: ¥{c} ({d}%)' },
    legend: { orient: 'vertical', left: 0 },
    series: [{ type: 'pie', radius: ['35%', '65%'], center: ['60%', '50%'], data: rows.map((r) => ({ name: String(r[cat] ?? ''), value: yuanOf(r[key]) })) }],
  });
  switch (report) {
    case 'sales-by-day':
      return {
        tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 56, right: 16, top: 32, bottom: 28 },
        xAxis: { type: 'category', data: rows.map((r) => String(r.day)) }, yAxis: { type: 'value' },
        series: [
          { name: label('grossFen'), type: 'bar', data: rows.map((r) => yuanOf(r.grossFen)) },
          { name: label('netFen'), type: 'line', data: rows.map((r) => yuanOf(r.netFen)) },
        ],
      };
    case 'sales-by-channel': return pie('channelName', 'grossFen');
    case 'sales-by-type': return pie('typeName', 'grossFen');
    case 'sales-by-payment': return bar('methodName', ['chargedFen', 'refundedFen'], true);
    case 'sales-by-seller': return bar('sellerName', ['collectedFen', 'refundedFen'], true);
    case 'entries-by-hour': {
      // One bar per hour of the day, summed over the days of the range.
      const hours = Array.from({ length: 24 }, (_, h) => h);
      const sum = (k: string) => hours.map((h) => rows.filter((r) => Number(r.hour) === h).reduce((s, r) => s + Number(r[k] ?? 0), 0));
      return {
        tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 48, right: 16, top: 32, bottom: 28 },
        xAxis: { type: 'category', data: hours.map((h) => `${h}:00`) }, yAxis: { type: 'value' },
        series: [{ name: label('personsIn'), type: 'bar', data: sum('personsIn') }, { name: label('personsOut'), type: 'bar', data: sum('personsOut') }],
      };
    }
    case 'entries-by-gate': return bar('device', ['personsIn', 'personsOut'], false);
    default: return undefined;
  }
}
