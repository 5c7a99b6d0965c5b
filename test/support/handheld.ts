import { startBrowser } from './browser.ts';
import { testToken } from './devices.ts';

export interface Verdict { reason: string; text: string; ok: boolean }

/** Chromium with the handheld page set up as `device` of `site` (web/src/handheld/main.ts's saved setup). */
export async function startHandheld(site: string, device: string) {
  const browser = await startBrowser({
    viewport: { width: 420, height: 820 },
    init: `localStorage.setItem('tk.handheld', JSON.stringify({ base: '', site: '${site}', device: '${device}', token: '${testToken('gate', site, device)}' }))`,
  });
  const page = browser.page;
  /** A code typed into the scan field as a PDA's scanner does (Enter ends it), and the verdict shown. */
  async function scan(text: string): Promise<Verdict> {
    const before = await page.getAttribute('#hh-result', 'data-at');
    await page.fill('#hh-scan', text);
    await page.press('#hh-scan', 'Enter');
    await page.waitForFunction(`document.querySelector('#hh-result')?.getAttribute('data-at') !== ${JSON.stringify(before)}`);
    const r = page.locator('#hh-result');
    return { reason: (await r.getAttribute('data-reason'))!, text: (await r.innerText()).replace(/\s+/g, ' '), ok: /\bok\b/.test((await r.getAttribute('class')) ?? '') };
  }
  return { browser, page, scan };
}
