import { formatYuan } from '../money/money.ts';
import { fieldLabel } from './fields.ts';
import type { Locale } from './locale.ts';

/**
 * A validation problem as zod reports it (zod 4 issue fields; structural, so this file does
 * not depend on zod's internals). `input` is there when the schema was run with reportInput.
 */
export interface Issue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  expected?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  origin?: string;
  format?: string;
  values?: readonly unknown[];
  keys?: readonly string[];
  divisor?: number | bigint;
  input?: unknown;
}

const TYPE_ZH: Record<string, string> = {
  string: '文字', number: '数字', int: '整数', boolean: '是或否', array: '列表', object: '对象', date: '日期', bigint: '整数', null: '空',
};

/** Custom messages of our schemas (refine, regex) in Chinese; English ones are already the message. */
const CUSTOM_ZH: Record<string, string> = {
  'each ticket type at most once': '每个票种只能出现一次',
  'tendered less than the amount': '实收金额少于应付金额',
  'must be more than 0': '须大于 0',
  'a day YYYY-MM-DD': '须为日期 YYYY-MM-DD',
  'a day as YYYY-MM-DD': '须为日期 YYYY-MM-DD',
  'not a calendar day': '不是有效的日期',
  'a payment code is 16 to 24 digits': '付款码为 16 至 24 位数字',
  'lower-case letters, digits, _ . or -, 2 to 32': '须为 2 至 32 位小写字母、数字或 _ . -',
  'lower-case letters, digits, - or _, up to 32': '须为至多 32 位小写字母、数字或 - _',
  'letters, digits, - or _, up to 64': '须为至多 64 位字母、数字或 - _',
  'a percentage is 0 to 100': '百分比须在 0 到 100 之间',
  'fromDay after toDay': '开始日期晚于结束日期',
  'endDay before startDay': '结束日期早于开始日期',
  'city needs province': '填写城市须同时填写省份',
  'give idNumber or province': '请填写身份证号或省份',
  'give member (details) or memberId': '请填写会员信息或选择会员',
  'give order and phone, or phone, or id, or code': '请填写订单号和手机号，或手机号、身份证号、取票码之一',
  'give phone, idNumber, cardNo, cardUid or name': '请填写手机号、身份证号、卡号或姓名之一',
  'name tickets or an amount': '请选择要退的票或填写金额',
  'venue names separated by commas': '园区名，以逗号分隔',
  'from is after to': '开始日期晚于结束日期',
  'to before from': '结束日期早于开始日期',
  '1-8 capital letters or digits': '须为 1 至 8 位大写字母或数字',
  'serials beyond 8 digits': '票号超出 8 位',
  '4-32 letters, digits or -': '须为 4 至 32 位字母、数字或 -',
  'a card UID is 8 to 20 hex digits': '须为 8 至 20 位十六进制数字',
  'must not be 0': '不能为 0',
  'must be positive': '须大于 0',
  'one or more of': '取值不正确',
};

const isFen = (path: readonly PropertyKey[]) => /Fen$/.test(String(path[path.length - 1] ?? ''));
const num = (v: number | bigint | undefined, path: readonly PropertyKey[]) =>
  (typeof v === 'number' && isFen(path) && Number.isSafeInteger(v) ? `¥${formatYuan(v as never)}` : String(v));

function zh(i: Issue, label: string): string {
  switch (i.code) {
    case 'invalid_type':
      if ('input' in i && i.input === undefined) return `请填写${label}`;
      return `${label}应为${TYPE_ZH[i.expected ?? ''] ?? i.expected ?? '正确的类型'}`;
    case 'too_small':
      if (i.origin === 'string') return Number(i.minimum) <= 1 ? `请填写${label}` : `${label}至少 ${i.minimum} 个字符`;
      if (i.origin === 'array' || i.origin === 'set') return `${label}至少 ${i.minimum} 项`;
      return i.inclusive === false ? `${label}须大于 ${num(i.minimum, i.path)}` : `${label}不能小于 ${num(i.minimum, i.path)}`;
    case 'too_big':
      if (i.origin === 'string') return `${label}最多 ${i.maximum} 个字符`;
      if (i.origin === 'array' || i.origin === 'set') return `${label}最多 ${i.maximum} 项`;
      return i.inclusive === false ? `${label}须小于 ${num(i.maximum, i.path)}` : `${label}不能大于 ${num(i.maximum, i.path)}`;
    case 'invalid_format': {
      const custom = CUSTOM_ZH[i.message];
      if (custom) return `${label}${custom.startsWith('须') || custom.startsWith('不') ? '' : '：'}${custom}`;
      if (i.format === 'uuid' || i.format === 'guid') return `${label}不是有效的编号`;
      if (i.format === 'datetime' || i.format === 'date') return `${label}不是有效的日期时间`;
      return `${label}格式不正确`;
    }
    case 'invalid_value':
      if (i.values && i.values.length === 1) return `${label}应为 ${String(i.values[0])}`;
      return `${label}应为以下之一：${(i.values ?? []).map(String).join('、')}`;
    case 'unrecognized_keys':
      return `${label}中有不认识的字段：${(i.keys ?? []).join('、')}`;
    case 'not_multiple_of':
      return `${label}须为 ${i.divisor} 的倍数`;
    case 'invalid_union':
      return `${label}不正确`;
    case 'custom': {
      const custom = CUSTOM_ZH[i.message];
      return custom ? `${label}${custom.startsWith('须') || custom.startsWith('不') ? '' : '：'}${custom}` : `${label}不正确`;
    }
    default:
      return `${label}不正确`;
  }
}

function en(i: Issue, label: string): string {
  switch (i.code) {
    case 'invalid_type':
      if ('input' in i && i.input === undefined) return `${label} is required`;
      return `${label} must be ${i.expected === 'int' ? 'an integer' : `a${/^[aeiou]/.test(i.expected ?? '') ? 'n' : ''} ${i.expected}`}`;
    case 'too_small':
      if (i.origin === 'string') return Number(i.minimum) <= 1 ? `${label} is required` : `${label} needs at least ${i.minimum} characters`;
      if (i.origin === 'array' || i.origin === 'set') return `${label} needs at least ${i.minimum} item${Number(i.minimum) === 1 ? '' : 's'}`;
      return `${label} must be ${i.inclusive === false ? 'more than' : 'at least'} ${num(i.minimum, i.path)}`;
    case 'too_big':
      if (i.origin === 'string') return `${label} takes at most ${i.maximum} characters`;
      if (i.origin === 'array' || i.origin === 'set') return `${label} takes at most ${i.maximum} items`;
      return `${label} must be ${i.inclusive === false ? 'less than' : 'at most'} ${num(i.maximum, i.path)}`;
    case 'invalid_value':
      return `${label} must be ${(i.values ?? []).map(String).join(' | ')}`;
    case 'unrecognized_keys':
      return `${label}: unknown field${(i.keys ?? []).length === 1 ? '' : 's'} ${(i.keys ?? []).join(', ')}`;
    case 'invalid_format':
    case 'custom':
      // Our own messages are English already; zod's default ones start with "Invalid".
      return /^Invalid/.test(i.message) ? `${label} is not valid` : `${label}: ${i.message}`;
    default:
      return `${label} is not valid`;
  }
}

/** One validation problem for people: the field named as the screen names it, in the locale. */
export function issueMessage(issue: Issue, locale: Locale): string {
  // An unknown key is a problem of the object holding it; name that object.
  const label = fieldLabel(issue.path, locale);
  return locale === 'en' ? en(issue, label) : zh(issue, label);
}
