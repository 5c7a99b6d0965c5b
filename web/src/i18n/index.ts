import { createI18n } from 'vue-i18n';
import en from './en.ts';
import zhCN from './zh-CN.ts';

export type AppLocale = 'zh-CN' | 'en';
const saved = localStorage.getItem('tk.locale');

/** Simplified Chinese by default, English on the toggle (remembered per browser). */
export const i18n = createI18n({
  legacy: false,
  locale: saved === 'en' ? 'en' : 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
});

export function setLocale(l: AppLocale) {
  i18n.global.locale.value = l;
  localStorage.setItem('tk.locale', l);
  document.documentElement.lang = l;
}
