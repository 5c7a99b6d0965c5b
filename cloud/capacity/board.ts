import type { CapacityStatus } from './service.ts';

const esc = (t: string) => t.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const WORDS = {
  'zh-CN': { title: '实时客流', inPark: '在园人数', capacity: '最大承载量', slots: '今日分时段余量', remaining: '余', status: { open: '舒适', busy: '较拥挤', full: '已满，暂停入园' }, none: '不限' },
  en: { title: 'Visitors now', inPark: 'In the park', capacity: 'Capacity', slots: 'Places left today by time slot', remaining: 'left', status: { open: 'Open', busy: 'Busy', full: 'Full: entry paused' }, none: 'no limit' },
} as const;

/**
 * The entrance display board and the site's website: persons inside, the status and today's
 * places per slot, refreshed every 15 s. A plain page (no script needed), large type.
 */
export function boardPage(s: CapacityStatus, lang: 'zh-CN' | 'en'): string {
  const w = WORDS[lang];
  const venues = s.venues.map((v) => `<section class="${v.status}">
  <h2>${esc(v.name)}</h2>
  <p class="big">${w.inPark} <b>${v.inPark}</b>${v.capacity !== null ? ` / ${v.capacity}` : ''}</p>
  <p class="status">${w.status[v.status]}</p>
  ${v.slots.length ? `<h3>${w.slots}</h3><ul>${v.slots.map((x) => `<li>${x.from}-${x.to}：${w.remaining} <b>${x.remaining}</b></li>`).join('')}</ul>` : ''}
</section>`).join('\n');
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta http-equiv="refresh" content="15">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${w.title}</title>
<style>body{font-family:sans-serif;background:#111;color:#eee;margin:2rem}section{border-left:1rem solid #2a2;padding:0 1rem;margin:1rem 0}
section.busy{border-color:#e90}section.full{border-color:#d22}.big{font-size:3rem}.status{font-size:2rem}li{font-size:1.4rem}</style></head>
<body><h1>${w.title}</h1><p>${esc(s.day)} · ${esc(s.at.slice(11, 16))} UTC</p>
${venues}
</body></html>`;
}
