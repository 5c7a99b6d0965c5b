import { REFUSALS, admitMessage, refusalMessage, type Refusal } from '../../shared/rules/reasons.ts';
import type { VoiceLocale } from './port.ts';

/**
 * What each voice prompt says, per locale: the gate's messages without the parts that vary
 * per ticket (times, counts, lane names), since a recording cannot hold them. Keys are the
 * prompt ids the gate passes to say(): 'welcome', 'reentry', 'exit', 'emergency', and every
 * refusal reason code.
 */
export type PromptTexts = Record<string, Record<VoiceLocale, string>>;

/** Refusals whose message is built around a detail: a shorter text without it. */
const WITHOUT_DETAIL: Partial<Record<Refusal, Record<VoiceLocale, string>>> = {
  not_yet_valid: { 'zh-CN': '未到有效期', en: 'Ticket not valid yet' },
  expired: { 'zh-CN': '票已过期', en: 'Ticket expired' },
  too_early: { 'zh-CN': '未到入园时间', en: 'Too early, entry has not opened yet' },
  too_late: { 'zh-CN': '已过入园时间', en: 'Too late, entry has closed' },
};

export function promptTexts(): PromptTexts {
  const texts: PromptTexts = {
    welcome: { 'zh-CN': '欢迎光临，请通行', en: 'Welcome, please pass' },
    reentry: { 'zh-CN': '欢迎回来，请通行', en: 'Welcome back, please pass' },
    exit: { 'zh-CN': '请通行，欢迎再来', en: 'Goodbye, please pass' },
    emergency: { 'zh-CN': admitMessage(1, null, 'zh-CN', 'emergency'), en: admitMessage(1, null, 'en', 'emergency') },
    // Said by the face check while it looks for a frame it can judge, and for a liveness check.
    face_adjust: { 'zh-CN': '请正对镜头', en: 'Please face the camera' },
    face_turn: { 'zh-CN': '请缓慢转头', en: 'Please turn your head slowly' },
  };
  for (const reason of REFUSALS) {
    texts[reason] = WITHOUT_DETAIL[reason] ?? { 'zh-CN': refusalMessage(reason, {}, 'zh-CN'), en: refusalMessage(reason, {}, 'en') };
  }
  return texts;
}

/** espeak-ng voice per locale. */
export const ESPEAK_VOICES: Record<VoiceLocale, string> = { 'zh-CN': 'cmn', en: 'en' };
