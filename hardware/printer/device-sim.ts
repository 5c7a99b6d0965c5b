import { TypedEventEmitter } from '../port.ts';
import { EscPosInterpreter, type PrintJob, type Problem } from './interpreter.ts';
import type { ByteLine } from './line.ts';
import { renderPng } from '../../shared/print/page.ts';
import { statusByte, type PaperState, type PrinterStatus } from './status.ts';

export interface PrinterDeviceEvents {
  /** A job was cut. */
  job: PrintJob;
  /** Bytes the printer could not use (unknown command, bad argument or data). */
  problem: Problem;
}

export interface PrinterDeviceOptions {
  /** Printable width in dots (default 576, 80 mm paper). */
  paperWidth?: number;
  /** Jobs kept; the oldest are dropped beyond it (default 100). */
  jobLimit?: number;
}

/**
 * The receipt printer itself, simulated: it interprets the ESC/POS bytes it receives
 * (interpreter.ts), keeps the jobs, answers DLE EOT status requests from a state a test can
 * change (paper out, cover open), and renders a job to PNG. Bytes reach it through receive()
 * or a line it serves (a pty end, or the in-memory cable of the `sim` driver).
 */
export class PrinterDevice extends TypedEventEmitter<PrinterDeviceEvents> {
  readonly jobs: PrintJob[] = [];
  readonly problems: Problem[] = [];
  readonly #interpreter: EscPosInterpreter;
  readonly #jobLimit: number;
  #paper: PaperState = 'ok';
  #coverOpen = false;
  #roll: number | undefined;
  #error = false;
  /** Answers to status requests go here. */
  #respond: ((bytes: Buffer) => void) | undefined;
  /** Status requests seen, for tests. */
  statusRequests = 0;
  /** While true the printer answers nothing (powered off, cable out). */
  silent = false;

  constructor(options: PrinterDeviceOptions = {}) {
    super();
    this.#jobLimit = options.jobLimit ?? 100;
    this.#interpreter = new EscPosInterpreter({
      paperWidth: options.paperWidth ?? 576,
      onJob: (job) => {
        if (!this.status.online) job.printed = false;
        if (this.#roll !== undefined && job.printed) {
          // The roll ends inside this job: the rest is not printed and the printer stops.
          if (job.page.height > this.#roll) {
            job.printed = false;
            this.#roll = 0;
            this.#paper = 'out';
          } else this.#roll -= job.page.height;
        }
        this.jobs.push(job);
        if (this.jobs.length > this.#jobLimit) this.jobs.splice(0, this.jobs.length - this.#jobLimit);
        this.emit('job', job);
      },
      onStatusRequest: (n) => {
        this.statusRequests++;
        if (!this.silent) this.#respond?.(Buffer.from([statusByte(n, this.status)]));
      },
      onProblem: (p) => {
        this.problems.push(p);
        if (this.problems.length > 1000) this.problems.shift();
        this.emit('problem', p);
      },
    });
  }

  get status(): PrinterStatus {
    return { online: this.#paper !== 'out' && !this.#coverOpen && !this.#error, paper: this.#paper, coverOpen: this.#coverOpen, error: this.#error };
  }

  setPaper(state: PaperState): void {
    this.#paper = state;
  }

  /** Paper left on the roll, in dots (undefined: endless). The printer runs out inside the job that needs more. */
  setRoll(dots: number | undefined): void {
    this.#roll = dots;
    if (dots !== undefined && dots > 0 && this.#paper === 'out') this.#paper = 'ok';
  }

  setCoverOpen(open: boolean): void {
    this.#coverOpen = open;
  }

  setError(error: boolean): void {
    this.#error = error;
  }

  /** Bytes from the host, in chunks of any size. */
  receive(chunk: Uint8Array): void {
    this.#interpreter.push(chunk);
    // An offline printer prints nothing of what comes in meanwhile.
    if (!this.status.online && this.#interpreter.inJob) this.#interpreter.markNotPrinted();
  }

  /** Serves a line: its data is received, status answers are written back. Returns the undo. */
  serve(line: ByteLine): () => void {
    const onData = (chunk: Buffer) => this.receive(chunk);
    line.on('data', onData);
    this.#respond = (bytes) => void line.write(bytes).catch(() => undefined);
    return () => {
      line.off('data', onData);
      this.#respond = undefined;
    };
  }

  /** Answers go to `fn` (tests feeding recorded streams). */
  onRespond(fn: ((bytes: Buffer) => void) | undefined): void {
    this.#respond = fn;
  }

  /** The job as printed, on white paper. */
  renderPng(job: PrintJob): Promise<Buffer> {
    return renderPng(job.page);
  }

  /** Resolves with the next job cut. */
  nextJob(timeoutMs = 5000): Promise<PrintJob> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('job', onJob);
        reject(new Error(`no print job within ${timeoutMs} ms`));
      }, timeoutMs);
      const onJob = (job: PrintJob) => {
        clearTimeout(timer);
        resolve(job);
      };
      this.once('job', onJob);
    });
  }
}
