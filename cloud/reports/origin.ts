import { Regions } from '../origin/regions.ts';
import { originStats } from '../origin/service.ts';
import { col, type ReportDef, type Row } from './model.ts';

/** Visitor origin as the origin module counts it (cloud/origin), one row per province and city. */
export const origin: ReportDef = {
  name: 'origin', zh: '游客来源', en: 'Visitor origin', ranged: true,
  source: 'cloud/origin: parties recorded at the windows (ID number region or what the visitor said) in the range, and paid bookings with an ID number by visit day',
  columns: [
    col('provinceCode', 'text', '省份代码', 'Province code'), col('province', 'text', '省份', 'Province'),
    col('cityCode', 'text', '城市代码', 'City code'), col('city', 'text', '城市', 'City'),
    col('visitors', 'int', '人数', 'Visitors'), col('sharePct', 'number', '占比(%)', 'Share (%)', false),
  ],
  async run(ctx, p) {
    const stats = await originStats(ctx, Regions.load(), { from: p.range.from, to: p.range.to, site: p.site });
    const share = (n: number) => (stats.total ? Math.round((n / stats.total) * 1000) / 10 : 0);
    const rows: Row[] = [];
    for (const prov of stats.provinces) {
      for (const c of prov.cities) {
        rows.push({ provinceCode: prov.code, province: prov.name, cityCode: c.code ?? '', city: c.name, visitors: c.persons, sharePct: share(c.persons) });
      }
    }
    if (stats.unknown) rows.push({ provinceCode: '', province: '未知', cityCode: '', city: '', visitors: stats.unknown, sharePct: share(stats.unknown) });
    return rows;
  },
};
