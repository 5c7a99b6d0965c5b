import { execFileSync } from 'node:child_process';
import type { DeviceRole } from '../../shared/auth/device.ts';
import { startBrowser } from './browser.ts';
import { testToken } from './devices.ts';

export interface Verdict { reason: string; text: string; ok: boolean }

export interface HandheldOptions {
  /** The credential's role (a handheld's own by default; another to see it refused). */
  role?: Exclude<DeviceRole, 'hq'>;
  /** A .y4m file Chromium's fake camera plays (the page's camera scanning). */
  camera?: string;
  /** false: the page starts unset, at its setup form (as a new phone does). */
  setup?: boolean;
}

/** Chromium with the handheld page set up as `device` of `site` (web/src/handheld/main.ts's saved setup). */
export async function startHandheld(site: string, device: string, opts: HandheldOptions = {}) {
  const browser = await startBrowser({
    viewport: { width: 420, height: 820 },
    init: opts.setup === false ? undefined : `localStorage.setItem('tk.handheld', JSON.stringify({ base: '', site: '${site}', device: '${device}', token: '${testToken(opts.role ?? 'handheld', site, device)}' }))`,
    args: opts.camera ? ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${opts.camera}`] : [],
  });
  const page = browser.page;
  const shown = () => page.getAttribute('#hh-result', 'data-at');
  async function verdict(before: string | null, timeout = 30_000): Promise<Verdict> {
    await page.waitForFunction(`document.querySelector('#hh-result')?.getAttribute('data-at') !== ${JSON.stringify(before)}`, undefined, { timeout });
    const r = page.locator('#hh-result');
    return { reason: (await r.getAttribute('data-reason'))!, text: (await r.innerText()).replace(/\s+/g, ' '), ok: /\bok\b/.test((await r.getAttribute('class')) ?? '') };
  }
  /** A code typed into the scan field as a PDA's scanner does (Enter ends it), and the verdict shown. */
  async function scan(text: string): Promise<Verdict> {
    const before = await shown();
    await page.fill('#hh-scan', text);
    await page.press('#hh-scan', 'Enter');
    return verdict(before);
  }
  /**
   * The camera button pressed: what the fake camera shows is read, judged and shown. A read takes
   * about a second; a read that never came (90 s) was ZXing missing the symbol at that one frame
   * size, now read at four sizes in turn (web/src/handheld/camera.ts), so 30 s is ample.
   */
  async function scanCamera(): Promise<Verdict> {
    const before = await shown();
    await page.click('#hh-camera');
    return verdict(before, 30_000);
  }
  return { browser, page, scan, scanCamera };
}

/**
 * A still picture (PNG) as a few seconds of camera video for Chromium's fake capture device:
 * a 640x960 Y4M (4:2:0), the picture fitted in on white as a phone held over a ticket sees it.
 */
export function pngToY4m(png: string, y4m: string): void {
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-loop', '1', '-i', png, '-frames:v', '20', '-r', '10',
    '-vf', 'scale=w=640:h=960:force_original_aspect_ratio=decrease,pad=640:960:(ow-iw)/2:(oh-ih)/2:white,format=yuv420p', y4m]);
}
