import { reactive } from 'vue';
import { api, ApiError, call } from '../api/client.ts';

/**
 * How this window PC prints. `bridge`: ESC/POS jobs laid out by HQ from the ticket's template
 * go to the print bridge on this PC (edge/print-bridge, loopback HTTP), which drives the
 * receipt printer through the same drivers as kiosks, status checks included. `browser`: the
 * same page as a picture, through the browser's print dialog (A4 or a thermal printer the
 * operating system knows), when no bridge is installed. Kept per browser (per window PC).
 */
export interface PrintSettings { mode: 'bridge' | 'browser'; bridgeUrl: string }
const KEY = 'tk.printer';
const saved = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<PrintSettings> | null;
export const printSettings = reactive<PrintSettings>({ mode: saved?.mode ?? 'bridge', bridgeUrl: saved?.bridgeUrl ?? 'http://127.0.0.1:8797' });
export const savePrintSettings = () => localStorage.setItem(KEY, JSON.stringify(printSettings));

async function bridge(body: unknown): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${printSettings.bridgeUrl.replace(/\/$/, '')}/print`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'bridge_unreachable', '连不上本机打印桥，请检查打印桥是否运行 / the print bridge on this PC does not answer');
  }
  const r = await res.json().catch(() => ({})) as { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(res.status, r.error?.code ?? 'printer_error', r.error?.message ?? res.statusText);
}

/** Prints in a hidden frame through the browser's dialog. */
function browserPrint(html: string): Promise<void> {
  return new Promise((resolve) => {
    const frame = document.createElement('iframe');
    frame.style.cssText = 'position:fixed;width:0;height:0;border:0;right:0;bottom:0';
    frame.setAttribute('data-print-frame', '');
    document.body.appendChild(frame);
    const doc = frame.contentDocument!;
    doc.open();
    doc.write(`<!doctype html><html><head><meta charset="utf-8"><style>
      @page { margin: 8mm; } body { margin: 0; font-family: "Noto Sans CJK SC", "Droid Sans Fallback", sans-serif; }
      .ticket { page-break-after: always; text-align: center; } .ticket img { width: 72mm; image-rendering: pixelated; }
      pre { font-size: 12px; white-space: pre-wrap; }</style></head><body>${html}</body></html>`);
    doc.close();
    const imgs = [...doc.images];
    void Promise.all(imgs.map((i) => (i.complete ? undefined : new Promise((r) => { i.onload = i.onerror = r; })))).then(() => {
      frame.contentWindow!.focus();
      frame.contentWindow!.print();
      setTimeout(() => { frame.remove(); resolve(); }, 500);
    });
  });
}

/**
 * Prints tickets: each is laid out by HQ with its template (POST /tickets/:id/prints, which
 * records the print; a reprint needs a reason and is audited) and sent to this PC's printer.
 */
export async function printTickets(ticketIds: string[], reason?: string): Promise<void> {
  const output = printSettings.mode === 'bridge' ? 'escpos' : 'png';
  const jobs: string[] = [];
  for (const id of ticketIds) {
    const r = await call(api.POST('/tickets/{id}/prints', { params: { path: { id } }, body: { output, ...(reason ? { reason } : {}) } }));
    jobs.push(r.data);
  }
  if (output === 'escpos') await bridge({ jobs });
  else await browserPrint(jobs.map((d) => `<div class="ticket"><img src="data:image/png;base64,${d}"></div>`).join(''));
}

/** Prints plain text (the sealed shift report). */
export async function printText(text: string): Promise<void> {
  if (printSettings.mode === 'bridge') await bridge({ text });
  else await browserPrint(`<pre>${text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!)}</pre>`);
}

/** The bridge's status, for the settings dialog. */
export async function bridgeStatus(): Promise<{ ok: boolean; driver?: string; error?: { message: string } }> {
  try {
    const res = await fetch(`${printSettings.bridgeUrl.replace(/\/$/, '')}/status`);
    return await res.json();
  } catch {
    return { ok: false, error: { message: '连不上本机打印桥 / the print bridge does not answer' } };
  }
}

export type EnrolStep = 'press' | 'again';

/**
 * Enrols a finger on this PC's fingerprint module (through the print bridge, which answers
 * NDJSON steps while the visitor presses) and binds the template to the ticket at HQ
 * (POST /tickets/:id/fingerprint). The template goes from the bridge to HQ; never an image.
 */
export async function enrolFinger(ticketId: string, onStep: (step: EnrolStep, message: string) => void): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${printSettings.bridgeUrl.replace(/\/$/, '')}/fingerprint/enrol`, { method: 'POST' });
  } catch {
    throw new ApiError(0, 'bridge_unreachable', '连不上本机打印桥，请检查打印桥是否运行 / the print bridge on this PC does not answer');
  }
  if (!res.ok || !res.body) {
    const r = await res.json().catch(() => ({})) as { error?: { code: string; message: string } };
    throw new ApiError(res.status, r.error?.code ?? 'fingerprint_error', r.error?.message ?? res.statusText);
  }
  type Line = { step?: EnrolStep; message?: string; ok?: boolean; template?: string; format?: 'r30x-512'; error?: { code: string; message: string } };
  let result: Line | undefined;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buf += value;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, nl)) as Line;
      buf = buf.slice(nl + 1);
      if (line.step) onStep(line.step, line.message ?? '');
      else result = line;
    }
    if (done) break;
  }
  if (!result?.ok || !result.template) throw new ApiError(0, result?.error?.code ?? 'fingerprint_error', result?.error?.message ?? '指纹录入未完成 / enrolment did not finish');
  await call(api.POST('/tickets/{id}/fingerprint', { params: { path: { id: ticketId } }, body: { template: result.template, format: result.format ?? 'r30x-512' } }));
}
