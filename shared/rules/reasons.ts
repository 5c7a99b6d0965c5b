import { formatLocal } from '../time/zone.ts';
import type { EntryKind } from './model.ts';

/**
 * Stable reason codes for every gate decision. Codes never change meaning once shipped:
 * reports, devices and the cloud's audit all key on them. Messages are for people, and
 * where it helps they say what would pass.
 */
export const REFUSALS = [
  // the credential itself
  'empty', 'too_long', 'malformed', 'unknown_key', 'forged', 'unknown',
  // the ticket
  'revoked', 'not_yet_valid', 'expired', 'wrong_weekday', 'too_early', 'too_late', 'used', 'daily_limit',
  // the booked time slot, the venue's capacity
  'slot_early', 'slot_late', 'park_full',
  // the lane
  'closed', 'wrong_direction', 'lane_closed', 'wrong_lane', 'wrong_venue', 'anti_passback',
  // the face check
  'face_mismatch', 'no_face', 'several_faces', 'face_unavailable', 'face_not_live',
  // the fingerprint check
  'no_finger', 'finger_poor_image', 'finger_mismatch', 'finger_unavailable',
] as const;
export type Refusal = (typeof REFUSALS)[number];

export type Locale = 'zh-CN' | 'en';

export interface RefusalDetail {
  validFrom?: number;
  validUntil?: number;
  revokeReason?: string;
  tz?: string;
  opensAt?: string;
  closedAt?: string;
  useLane?: string;
  waitSeconds?: number;
  perDay?: number;
  weekdays?: number[];
  /** The booked time slot, site-local HH:MM. */
  slotFrom?: string;
  slotTo?: string;
  /** The venue's instantaneous capacity and the count the decision was made with. */
  capacity?: number;
  inPark?: number;
  /** The count may be behind: the gate has not heard every gate of its site lately. */
  stale?: boolean;
}

type Messages = Record<Refusal, (d: RefusalDetail) => string>;

const at = (ms: number | undefined, d: RefusalDetail) => (ms === undefined ? '?' : formatLocal(ms, d.tz ?? 'Asia/Shanghai'));
const WEEKDAY_ZH = ['', '一', '二', '三', '四', '五', '六', '日'];
const WEEKDAY_EN = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const REVOKE_ZH: Record<string, string> = { refunded: '已退票', lost: '已挂失', reissued: '已补票', cancelled: '已取消' };

const zh: Messages = {
  empty: () => '未读到内容，请重新扫码',
  too_long: () => '无法识别的码（内容过长）',
  malformed: () => '无法识别的码',
  unknown_key: () => '票码签发方未知，请到售票处咨询',
  forged: () => '票码无效（签名校验失败）',
  unknown: () => '查无此票',
  revoked: (d) => `票已作废${d.revokeReason ? `（${REVOKE_ZH[d.revokeReason] ?? d.revokeReason}）` : ''}`,
  not_yet_valid: (d) => `未到有效期，${at(d.validFrom, d)} 起可入园`,
  expired: (d) => `票已过期（有效期至 ${at(d.validUntil, d)}）`,
  wrong_weekday: (d) => `今日不可用${d.weekdays ? `，仅限周${d.weekdays.map((w) => WEEKDAY_ZH[w]).join('、')}` : ''}`,
  too_early: (d) => `未到入园时间，${d.opensAt ?? ''} 开始入园`,
  too_late: (d) => `已过入园时间（${d.closedAt ?? ''} 停止入园）`,
  used: () => '票已用完',
  daily_limit: (d) => `今日入园次数已满${d.perDay ? `（每日 ${d.perDay} 次）` : ''}`,
  slot_early: (d) => (d.slotFrom ? `请于 ${d.slotFrom}-${d.slotTo ?? ''} 入园` : '未到预约时段，请于预约时段入园'),
  slot_late: (d) => (d.slotFrom ? `预约时段 ${d.slotFrom}-${d.slotTo ?? ''} 已过，请到售票处改签` : '预约时段已过，请到售票处改签'),
  park_full: (d) => `景区已达最大承载量，暂停入园，请稍候${d.stale ? '（离线，按本机所知人数）' : ''}`,
  closed: () => '通道已关闭，请走其他通道',
  wrong_direction: () => '请从另一侧刷票',
  lane_closed: (d) => `本通道暂未开放${d.opensAt ? `，${d.opensAt} 开放` : ''}`,
  wrong_lane: (d) => `本通道不能使用此票${d.useLane ? `，请走 ${d.useLane}` : ''}`,
  wrong_venue: (d) => `此票不含本园区${d.useLane ? `，请走 ${d.useLane}` : ''}`,
  anti_passback: (d) => `此票刚刚入园${d.waitSeconds ? `，请 ${d.waitSeconds} 秒后再试` : ''}`,
  face_mismatch: () => '人脸与票不符',
  no_face: () => '未检测到人脸，请正对摄像头',
  several_faces: () => '检测到多张人脸，请一人一验',
  face_unavailable: () => '人脸核验暂不可用，请到人工通道',
  face_not_live: () => '未通过活体检测，请本人缓慢转头或到人工通道',
  no_finger: () => '未检测到手指，请将手指平放在指纹仪上',
  finger_poor_image: () => '指纹不清晰，请擦干手指后重按',
  finger_mismatch: () => '指纹不匹配，请重按或到人工通道',
  finger_unavailable: () => '指纹核验暂不可用，请到人工通道',
};

const en: Messages = {
  empty: () => 'Nothing read, please scan again',
  too_long: () => 'Unrecognised code (too long)',
  malformed: () => 'Unrecognised code',
  unknown_key: () => 'Code from an unknown issuer, please ask at the ticket office',
  forged: () => 'Invalid code (signature check failed)',
  unknown: () => 'Ticket not found',
  revoked: (d) => `Ticket void${d.revokeReason ? ` (${d.revokeReason})` : ''}`,
  not_yet_valid: (d) => `Not valid yet: entry from ${at(d.validFrom, d)}`,
  expired: (d) => `Ticket expired (valid until ${at(d.validUntil, d)})`,
  wrong_weekday: (d) => `Not valid today${d.weekdays ? `: ${d.weekdays.map((w) => WEEKDAY_EN[w]).join(', ')} only` : ''}`,
  too_early: (d) => `Too early: entry opens at ${d.opensAt ?? '?'}`,
  too_late: (d) => `Too late: entry closed at ${d.closedAt ?? '?'}`,
  used: () => 'Ticket already used',
  daily_limit: (d) => `Today's entries used up${d.perDay ? ` (${d.perDay} a day)` : ''}`,
  slot_early: (d) => (d.slotFrom ? `Please enter in your time slot, ${d.slotFrom}-${d.slotTo ?? ''}` : 'Too early: please enter in your booked time slot'),
  slot_late: (d) => (d.slotFrom ? `Your time slot ${d.slotFrom}-${d.slotTo ?? ''} has passed: please see the ticket office` : 'Your time slot has passed: please see the ticket office'),
  park_full: (d) => `The park is full: entry paused, please wait${d.stale ? ' (offline: by the count this gate knows)' : ''}`,
  closed: () => 'Lane closed, please use another lane',
  wrong_direction: () => 'Please scan on the other side',
  lane_closed: (d) => `Lane not open now${d.opensAt ? `: opens at ${d.opensAt}` : ''}`,
  wrong_lane: (d) => `Ticket not valid at this lane${d.useLane ? `: use ${d.useLane}` : ''}`,
  wrong_venue: (d) => `Ticket does not include this venue${d.useLane ? `: use ${d.useLane}` : ''}`,
  anti_passback: (d) => `Ticket has just entered${d.waitSeconds ? `: try again in ${d.waitSeconds} s` : ''}`,
  face_mismatch: () => 'Face does not match the ticket',
  no_face: () => 'No face found, please face the camera',
  several_faces: () => 'Several faces found, one person at a time',
  face_unavailable: () => 'Face check unavailable, please use the staffed lane',
  face_not_live: () => 'Liveness check failed: turn your head slowly, or use the staffed lane',
  no_finger: () => 'No finger found: lay your finger flat on the reader',
  finger_poor_image: () => 'Fingerprint unclear: dry your finger and press again',
  finger_mismatch: () => 'Fingerprint does not match: press again, or use the staffed lane',
  finger_unavailable: () => 'Fingerprint check unavailable, please use the staffed lane',
};

export function refusalMessage(reason: Refusal, detail: RefusalDetail = {}, locale: Locale = 'zh-CN'): string {
  return (locale === 'en' ? en : zh)[reason](detail);
}

export type AdmitKind = Exclude<EntryKind, 'return'>;

/** How an admission is worded: a passage given back reads like a normal one. */
export const admitKind = (k: EntryKind): AdmitKind => (k === 'return' ? 'normal' : k);

export function admitMessage(persons: number, remaining: number | null, locale: Locale = 'zh-CN', kind: AdmitKind = 'normal'): string {
  if (locale === 'en') {
    if (kind === 'exit') return `Goodbye: ${persons} ${persons === 1 ? 'person' : 'persons'}`;
    if (kind === 'exit_unmatched') return `Please pass: ${persons} ${persons === 1 ? 'person' : 'persons'} (no entry on record today)`;
    if (kind === 'emergency') return 'Emergency: gates open, please pass';
    const who = `${persons} ${persons === 1 ? 'person' : 'persons'}`;
    return `${kind === 'reentry' ? 'Welcome back' : 'Welcome'}: ${who}${remaining === null ? '' : `, ${remaining} left`}`;
  }
  if (kind === 'exit') return `请通行 ${persons} 人，欢迎再来`;
  if (kind === 'exit_unmatched') return `请通行 ${persons} 人（今日无入园记录）`;
  if (kind === 'emergency') return '紧急疏散，闸门已全部打开';
  return `${kind === 'reentry' ? '欢迎回来' : '欢迎光临'}，请通行 ${persons} 人${remaining === null ? '' : `，剩余 ${remaining} 人次`}`;
}

/**
 * Says which ticket was used when a credential stands for several (an ID card holding tickets
 * for several days, or a day ticket and an annual card): by the day it is valid from.
 */
export function choiceNote(among: number, validFrom: number, tz: string, locale: Locale = 'zh-CN'): string {
  const day = formatLocal(validFrom, tz).slice(0, 10);
  return locale === 'en' ? ` (${among} tickets on this card: used the one valid from ${day})` : `（名下 ${among} 张票，已用 ${day} 起有效的一张）`;
}

/** Said after an admission when the venue is at its warning level or beyond (the gate's display warns). */
export function loadNote(level: 'open' | 'busy' | 'full' | undefined, locale: Locale = 'zh-CN'): string {
  if (level !== 'busy' && level !== 'full') return '';
  return locale === 'en' ? ' (the park is nearly full)' : '（景区接近满员）';
}
