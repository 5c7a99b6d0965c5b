import { sql } from 'drizzle-orm';
import { col, num, query, siteIs, type ReportDef } from './model.ts';

/** Province-level divisions of GB/T 2260: the first two digits of a resident ID number. */
export const PROVINCES: Record<string, [string, string]> = {
  11: ['北京市', 'Beijing'], 12: ['天津市', 'Tianjin'], 13: ['河北省', 'Hebei'], 14: ['山西省', 'Shanxi'], 15: ['内蒙古自治区', 'Inner Mongolia'],
  21: ['辽宁省', 'Liaoning'], 22: ['吉林省', 'Jilin'], 23: ['黑龙江省', 'Heilongjiang'],
  31: ['上海市', 'Shanghai'], 32: ['江苏省', 'Jiangsu'], 33: ['浙江省', 'Zhejiang'], 34: ['安徽省', 'Anhui'], 35: ['福建省', 'Fujian'], 36: ['江西省', 'Jiangxi'], 37: ['山东省', 'Shandong'],
  41: ['河南省', 'Henan'], 42: ['湖北省', 'Hubei'], 43: ['湖南省', 'Hunan'], 44: ['广东省', 'Guangdong'], 45: ['广西壮族自治区', 'Guangxi'], 46: ['海南省', 'Hainan'],
  50: ['重庆市', 'Chongqing'], 51: ['四川省', 'Sichuan'], 52: ['贵州省', 'Guizhou'], 53: ['云南省', 'Yunnan'], 54: ['西藏自治区', 'Tibet'],
  61: ['陕西省', 'Shaanxi'], 62: ['甘肃省', 'Gansu'], 63: ['青海省', 'Qinghai'], 64: ['宁夏回族自治区', 'Ningxia'], 65: ['新疆维吾尔自治区', 'Xinjiang'],
  71: ['台湾省', 'Taiwan'], 81: ['香港特别行政区', 'Hong Kong'], 82: ['澳门特别行政区', 'Macao'],
};

export const origin: ReportDef = {
  name: 'origin', zh: '游客来源', en: 'Visitor origin', ranged: true,
  source: 'region code of the ID number: bookings paid in the range (visitors = tickets booked) and ID cards bound to tickets in the range (visitors = the ticket\'s persons)',
  columns: [
    col('region', 'text', '地区代码', 'Region code'), col('province', 'text', '省份', 'Province'), col('provinceEn', 'text', '省份(英文)', 'Province (English)'),
    col('bookings', 'int', '预订人数', 'Booked visitors'), col('idCards', 'int', '身份证入园人数', 'ID card visitors'), col('visitors', 'int', '人数', 'Visitors'), col('sharePct', 'number', '占比(%)', 'Share (%)'),
  ],
  async run(db, p) {
    const rows = await query(db, sql`
      select region, sum(booked) as booked, sum(idcards) as idcards from (
        select left(b.id_region, 2) as region, b.quantity as booked, 0 as idcards from bookings b
          where b.id_region is not null and b.paid_at >= ${p.range.start} and b.paid_at < ${p.range.end}${siteIs(sql`b.site`, p.site)}
        union all
        select left(c.value, 2), 0, t.persons from credentials c join tickets t on t.id = c.ticket_id
          where c.kind = 'idcard' and c.bound_at >= ${p.range.start} and c.bound_at < ${p.range.end}${siteIs(sql`c.site`, p.site)}
      ) x group by region`);
    const total = rows.reduce((s, r) => s + num(r.booked) + num(r.idcards), 0);
    return rows.map((r) => {
      const region = String(r.region);
      const visitors = num(r.booked) + num(r.idcards);
      const name = PROVINCES[region];
      return {
        region, province: name?.[0] ?? '未知', provinceEn: name?.[1] ?? 'Unknown',
        bookings: num(r.booked), idCards: num(r.idcards), visitors, sharePct: total ? Math.round((visitors / total) * 1000) / 10 : 0,
      };
    }).sort((a, b) => b.visitors - a.visitors || a.region.localeCompare(b.region));
  },
};
