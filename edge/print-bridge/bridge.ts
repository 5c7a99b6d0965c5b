import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createPrinter, type PrinterDeps } from '../../hardware/printer/create.ts';
import { EscPosBuilder } from '../../shared/print/escpos.ts';
import { PrinterError } from '../../shared/print/errors.ts';
import type { PrinterPort } from '../../hardware/printer/port.ts';
import { createFingerprintReader } from '../../hardware/fingerprint/create.ts';
import type { FingerFailure, FingerprintReader } from '../../hardware/fingerprint/port.ts';
import { refusalMessage } from '../../shared/rules/reasons.ts';
import { silentLogger, type Logger } from '../../shared/log/logger.ts';
import type { BridgeConfig } from './config.ts';

const printBody = z.union([
  /** ESC/POS jobs as HQ lays them out (POST /tickets/:id/prints), base64, printed in order. */
  z.strictObject({ jobs: z.array(z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/).min(4)).min(1).max(100) }),
  /** Plain text (the sealed shift report), printed as GB18030 lines and cut. */
  z.strictObject({ text: z.string().min(1).max(20_000) }),
]);

const MESSAGES: Record<string, string> = {
  paper_out: '打印机缺纸 / out of paper',
  cover_open: '打印机盖未合上 / printer cover open',
  printer_error: '打印机故障 / printer error',
  offline: '打印机离线 / printer offline',
  no_response: '打印机无响应 / printer not answering',
};

/** Why an enrolment failed, said to the seller and the visitor. */
const FINGER_MESSAGES: Record<FingerFailure, string> = {
  no_finger: refusalMessage('no_finger'),
  poor_image: refusalMessage('finger_poor_image'),
  merge_failed: '两次按的不是同一手指或位置相差太大，请重新录入',
  no_match: '指纹不匹配，请重新录入',
};

/**
 * HTTP on loopback for the back office page: `GET /status`, `POST /print {jobs}|{text}`, and
 * with a fingerprint module `POST /fingerprint/enrol` (see `enrol`).
 * Cross-origin calls are answered only for the configured origins (CORS, with Chromium's
 * private network access preflight), and jobs go one after another to the printer driver,
 * which checks the printer's status before and after each where the line can answer.
 */
export class PrintBridge {
  private server: Server | undefined;
  private printer: PrinterPort | undefined;
  private finger: FingerprintReader | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly config: BridgeConfig, private readonly deps: PrinterDeps & { printer?: PrinterPort; fingerprint?: FingerprintReader } = {}) {
    this.log = deps.log ?? silentLogger;
  }

  get url(): string {
    const a = this.server?.address() as AddressInfo | null;
    if (!a) throw new Error('print bridge not started');
    return `http://${this.config.http.host}:${a.port}`;
  }

  /** The printer driver (a test reads the simulator's jobs through it). */
  get device(): PrinterPort {
    if (!this.printer) throw new Error('print bridge not started');
    return this.printer;
  }

  async start(): Promise<void> {
    this.printer = this.deps.printer ?? await createPrinter(this.config.printer, this.deps);
    await this.printer.start();
    const fp = this.config.fingerprint;
    this.finger = this.deps.fingerprint ?? (fp ? await createFingerprintReader(fp, { log: this.log }) : undefined);
    await this.finger?.start();
    this.server = createServer((req, res) => void this.handle(req, res).catch((err) => {
      this.log.error({ err }, 'print bridge request failed');
      this.send(res, 500, { error: { code: 'internal', message: 'internal error' } });
    }));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.config.http.port, this.config.http.host, () => resolve());
    });
  }

  async stop(): Promise<void> {
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server!.close(() => resolve()));
      this.server = undefined;
    }
    await this.queue.catch(() => undefined);
    await this.printer?.stop();
    this.printer = undefined;
    await this.finger?.stop();
    this.finger = undefined;
  }

  private cors(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true; // not a browser page: curl, a test
    if (!this.config.allowOrigins.includes(origin)) return false;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'origin');
    return true;
  }

  private send(res: ServerResponse, status: number, body: unknown) {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://bridge').pathname;
    if (!this.cors(req, res)) return this.send(res, 403, { error: { code: 'origin_not_allowed', message: `此页面不能使用打印机 / ${req.headers.origin} may not print here` } });
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'GET, POST');
      res.setHeader('access-control-allow-headers', 'content-type');
      // Chromium asks before a page of a less private address reaches loopback.
      if (req.headers['access-control-request-private-network']) res.setHeader('access-control-allow-private-network', 'true');
      res.setHeader('access-control-max-age', '600');
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && path === '/status') {
      const status = await this.printer!.status().then((s) => ({ ok: s.online, status: s }), (err) => this.failure(err));
      return this.send(res, 200, { driver: this.config.printer.driver, ...status });
    }
    if (req.method === 'POST' && path === '/print') {
      const raw = await readBody(req, this.config.maxJobBytes * 2);
      if (raw === undefined) return this.send(res, 413, { error: { code: 'too_large', message: 'job too large' } });
      let body: z.infer<typeof printBody>;
      try {
        body = printBody.parse(JSON.parse(raw.toString('utf8')));
      } catch {
        return this.send(res, 400, { error: { code: 'invalid_request', message: 'expected {"jobs":[base64,...]} or {"text":"..."}' } });
      }
      const jobs = 'jobs' in body ? body.jobs.map((j) => Buffer.from(j, 'base64')) : [textJob(body.text)];
      if (jobs.some((j) => j.length > this.config.maxJobBytes)) return this.send(res, 413, { error: { code: 'too_large', message: 'job too large' } });
      const done = this.queue.then(() => this.printAll(jobs));
      this.queue = done.catch(() => undefined);
      const r = await done;
      return 'error' in r ? this.send(res, 503, r) : this.send(res, 200, r);
    }
    if (req.method === 'POST' && path === '/fingerprint/enrol') return this.enrol(res);
    this.send(res, 404, { error: { code: 'not_found', message: `no such endpoint: ${req.method} ${path}` } });
  }

  /**
   * Enrols a finger on the window's module. The answer is NDJSON, one line per step, so the page
   * can prompt while the visitor presses: `{step:'press'}` (请按手指), `{step:'again'}` (请再按一次),
   * then `{ok:true, template, format}` (base64 of the module's template) or `{ok:false, error}`
   * with a Chinese reason. The module makes the template itself; no image ever leaves it.
   */
  private async enrol(res: ServerResponse) {
    if (!this.finger) return this.send(res, 404, { error: { code: 'no_fingerprint_module', message: '本机未接指纹仪 / no fingerprint module on this PC' } });
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
    const line = (o: unknown) => res.write(`${JSON.stringify(o)}\n`);
    line({ step: 'press', message: '请按手指' });
    try {
      const out = await this.finger.enrol(() => line({ step: 'again', message: '请再按一次' }));
      line(out.ok
        ? { ok: true, template: out.template.toString('base64'), format: `r30x-${out.template.length}` }
        : { ok: false, error: { code: out.reason, message: FINGER_MESSAGES[out.reason] } });
    } catch (err) {
      this.log.warn({ err }, 'fingerprint enrolment failed');
      line({ ok: false, error: { code: 'fingerprint_error', message: `指纹仪故障 / fingerprint module: ${(err as Error).message}` } });
    }
    res.end();
  }

  private async printAll(jobs: Buffer[]) {
    let printed = 0;
    for (const job of jobs) {
      try {
        await this.printer!.print(job);
      } catch (err) {
        return { printed, ...this.failure(err) };
      }
      printed++;
    }
    return { printed };
  }

  private failure(err: unknown): { ok: false; error: { code: string; message: string } } {
    if (err instanceof PrinterError) return { ok: false, error: { code: err.code, message: MESSAGES[err.code] ?? err.message } };
    this.log.warn({ err }, 'printer failed');
    return { ok: false, error: { code: 'printer_error', message: (err as Error).message } };
  }
}

function textJob(text: string): Buffer {
  const b = new EscPosBuilder().init().chinese(true);
  for (const line of text.replace(/\r/g, '').replace(/[\p{Cc}]/gu, (c) => (c === '\n' ? c : ' ')).split('\n')) b.line(line);
  return b.feed(64).cut().bytes();
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > limit) over = true;
      else parts.push(d);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(parts)));
    req.on('error', reject);
  });
}
