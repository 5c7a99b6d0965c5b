import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ERROR_MESSAGES, errorMessage } from '../../shared/i18n/errors.ts';
import { negotiateLocale } from '../../shared/i18n/locale.ts';

/**
 * Every error code HQ can answer with has a message in Chinese and in English
 * (shared/i18n/errors.ts). The codes are collected from the source: `new AppError('code'`
 * (each code of a `a ? 'x' : 'y'` choice), `notFound(`, the booking API's stored answers
 * `err(409, 'code'`, literal `error: { code: 'x' }` bodies and `errorBody('code'`.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' || name === 'bench' ? [] : sources(p);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [p] : [];
  });
}

/** Codes made from a template at run time, expanded by hand: each source is named. */
const templateCodes = () => {
  const model = readFileSync(join(root, 'shared/template/model.ts'), 'utf8');
  const union = /export type TemplateErrorCode = ([^;]+);/.exec(model)![1]!;
  return [...union.matchAll(/'([a-z_]+)'/g)].map((m) => `template_${m[1]}`);
};
const DYNAMIC: Record<string, () => string[]> = {
  // cloud/templates/service.ts: a TemplateError's code, prefixed.
  '`template_${err.code}`': templateCodes,
  // cloud/channels/bookings.ts: paying a booking that is no longer `booked`.
  '`booking_${b.state}`': () => ['booking_issued', 'booking_picked_up', 'booking_cancelled', 'booking_expired'],
  // cloud/faces/service.ts: a FaceImageError's code (shared/face/image.ts).
  'err.code': () => ['bad_image', 'unsupported_format'],
  // cloud/sites/service.ts: a site, venue or lane HQ does not know.
  '`unknown_${what}`': () => ['unknown_site', 'unknown_venue', 'unknown_lane'],
  // cloud/devices/auth.ts: why a device with a valid credential may not speak (DeviceAuth.refusal).
  'no.code': () => ['unknown_device', 'device_inactive', 'wrong_role'],
  // cloud/sync/routes.ts: why an HTTP upload was refused (shared/sync/pack.ts UploadRefusal).
  'read.refused.code': () => {
    const pack = readFileSync(join(root, 'shared/sync/pack.ts'), 'utf8');
    const union = /export interface UploadRefusal \{ code: ([^;]+);/.exec(pack)![1]!;
    return [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
  },
};

function collect(): { codes: Map<string, string[]>; unknown: string[] } {
  const codes = new Map<string, string[]>();
  const unknown: string[] = [];
  const add = (code: string, where: string) => codes.set(code, [...(codes.get(code) ?? []), where]);
  for (const file of sources(join(root, 'cloud'))) {
    const text = readFileSync(file, 'utf8');
    const where = relative(root, file);
    if (/\bnotFound\(\s*'/.test(text)) add('not_found', where);
    for (const m of text.matchAll(/new AppError\(\s*([^,]+),/g)) {
      const first = m[1]!.trim();
      const dynamic = DYNAMIC[first];
      if (dynamic) { for (const c of dynamic()) add(c, where); continue; }
      // 'code', or a choice: a ? 'x' : b ? 'y' : 'z' (the literals after ? and :, or the only one).
      const literal = /^'([a-z_]+)'$/.exec(first);
      const choices = [...first.matchAll(/[?:]\s*'([a-z_]+)'/g)].map((c) => c[1]!);
      if (literal) add(literal[1]!, where);
      else if (choices.length) for (const c of choices) add(c, where);
      else unknown.push(`${where}: AppError(${first}`);
    }
    for (const m of text.matchAll(/\berr\(\s*\d{3}\s*,\s*([^,]+),/g)) {
      const first = m[1]!.trim();
      const literal = /^'([a-z_]+)'$/.exec(first);
      if (literal) add(literal[1]!, where);
      else if (DYNAMIC[first]) for (const c of DYNAMIC[first]!()) add(c, where);
      else unknown.push(`${where}: err(${first}`);
    }
    for (const m of text.matchAll(/error:\s*\{\s*code:\s*'([a-z_]+)'/g)) add(m[1]!, where);
    for (const m of text.matchAll(/errorBody\(\s*'([a-z_]+)'/g)) add(m[1]!, where);
  }
  return { codes, unknown };
}

test('every error code HQ can answer with has a Chinese and an English message', () => {
  const { codes, unknown } = collect();
  assert.equal(unknown, [], 'every code is a literal or a known template');
  assert.ok(codes.size > 80, `${codes.size} codes found`);
  const missing = [...codes].filter(([code]) => !Object.hasOwn(ERROR_MESSAGES, code)).map(([code, where]) => `${code} (${where[0]})`);
  assert.equal(missing, [], 'codes without a message');
  for (const code of codes.keys()) {
    for (const params of [{}, { what: 'ticket', id: 'x', line: 0, day: '2026-01-01', left: 3, paidFen: 100, totalFen: 250, method: 'cash', limit: 1, used: 1, asked: 1 }]) {
      const zh = errorMessage(code, 'zh-CN', params)!;
      const en = errorMessage(code, 'en', params)!;
      assert.ok(zh.length > 1 && /[\u4e00-\u9fff]/.test(zh), `${code}: Chinese message "${zh}"`);
      assert.ok(en.length > 1 && !/[\u4e00-\u9fff]/.test(en) && !/undefined|null|\[object/.test(en), `${code}: English message "${en}"`);
      assert.not.ok(/undefined|null|\[object/.test(zh), `${code}: "${zh}"`);
    }
  }
});

test('messages use the details they are given', () => {
  assert.is(errorMessage('payment_mismatch', 'zh-CN', { paidFen: 14000, totalFen: 15000 }), '支付合计 ¥140.00，与应收 ¥150.00 不符');
  assert.is(errorMessage('payment_mismatch', 'en', { paidFen: 14000, totalFen: 15000 }), 'Payments add up to ¥140.00, the order is ¥150.00');
  assert.is(errorMessage('not_found', 'zh-CN', { what: 'ticket type', id: 'vip' }), '票种不存在：vip');
  assert.is(errorMessage('type_not_granted', 'zh-CN', { line: 1, type: 'vip' }), '第 2 行：无权销售该票种 (vip)');
  assert.is(errorMessage('no_such_code', 'zh-CN'), undefined);
  assert.is(errorMessage('constructor', 'zh-CN'), undefined);
});

test('the language: ?lang= first, then Accept-Language by quality, else Chinese', () => {
  assert.is(negotiateLocale(undefined, undefined), 'zh-CN');
  assert.is(negotiateLocale('en', 'zh-CN'), 'en');
  assert.is(negotiateLocale('zh', 'en'), 'zh-CN');
  assert.is(negotiateLocale(undefined, 'en-US,en;q=0.9'), 'en');
  assert.is(negotiateLocale(undefined, 'zh-CN,zh;q=0.9,en;q=0.8'), 'zh-CN');
  assert.is(negotiateLocale(undefined, 'fr-FR,en;q=0.5'), 'en');
  assert.is(negotiateLocale(undefined, 'de-DE'), 'zh-CN');
  assert.is(negotiateLocale('xx', 'en;q=0'), 'zh-CN');
});

test.run();
