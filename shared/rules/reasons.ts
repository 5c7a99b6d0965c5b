import { formatLocal } from '../time/zone.ts';

/**
 * Stable reason codes for every gate decision. Codes never change meaning once shipped:
 * reports, devices and the cloud's audit all key on them. Messages are for people.
 */
export const REFUSALS = [
  'empty', 'too_long', 'malformed', 'unknown_key', 'forged', 'unknown',
  'not_yet_valid', 'expired', 'used', 'revoked', 'closed',
] as const;
export type Refusal = (typeof REFUSALS)[number];

export type Locale = 'zh-CN' | 'en';

export interface RefusalDetail {
  validFrom?: number;
  validUntil?: number;
  revokeReason?: string;
  tz?: string;
}

type Messages = Record<Refusal, (d: RefusalDetail) => string>;

const at = (ms: number | undefined, d: RefusalDetail) => (ms === undefined ? '?' : formatLocal(ms, d.tz ?? 'Asia/Shanghai'));

const zh: Messages = {
  empty: () => '未读到内容，请重新扫码',
  too_long: () => '无法识别的码（内容过长）',
  malformed: () => '无法识别的码',
  unknown_key: () => '票码签发方未知，请到售票处咨询',
  forged: () => '票码无效（签名校验失败）',
  unknown: () => '查无此票',
  not_yet_valid: (d) => `未到有效期，${at(d.validFrom, d)} 起可入园`,
  expired: (d) => `票已过期（有效期至 ${at(d.validUntil, d)}）`,
  used: () => '票已用完',
  revoked: (d) => `票已作废${d.revokeReason ? `（${REVOKE_ZH[d.revokeReason] ?? d.revokeReason}）` : ''}`,
  closed: () => '通道已关闭，请走其他通道',
};

const en: Messages = {
  empty: () => 'Nothing read, please scan again',
  too_long: () => 'Unrecognised code (too long)',
  malformed: () => 'Unrecognised code',
  unknown_key: () => 'Code from an unknown issuer, please ask at the ticket office',
  forged: () => 'Invalid code (signature check failed)',
  unknown: () => 'Ticket not found',
  not_yet_valid: (d) => `Not valid yet: entry from ${at(d.validFrom, d)}`,
  expired: (d) => `Ticket expired (valid until ${at(d.validUntil, d)})`,
  used: () => 'Ticket already used',
  revoked: (d) => `Ticket void${d.revokeReason ? ` (${d.revokeReason})` : ''}`,
  closed: () => 'Lane closed, please use another lane',
};

const REVOKE_ZH: Record<string, string> = { refunded: '已退票', lost: '已挂失', reissued: '已补票', cancelled: '已取消' };

export function refusalMessage(reason: Refusal, detail: RefusalDetail = {}, locale: Locale = 'zh-CN'): string {
  return (locale === 'en' ? en : zh)[reason](detail);
}

export function admitMessage(persons: number, remaining: number | null, locale: Locale = 'zh-CN'): string {
  if (locale === 'en') return `Welcome: ${persons} ${persons === 1 ? 'person' : 'persons'}${remaining === null ? '' : `, ${remaining} left`}`;
  return `欢迎光临，请通行 ${persons} 人${remaining === null ? '' : `，剩余 ${remaining} 人次`}`;
}
