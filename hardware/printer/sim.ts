import type { Logger } from '../../shared/log/logger.ts';
import type { Timers } from '../timers.ts';
import { PrinterDevice } from './device-sim.ts';
import { EscPosPrinter } from './escpos-printer.ts';
import type { PrintJob } from './interpreter.ts';
import { MemoryLine } from './line.ts';

export interface SimPrinterOptions {
  /** Printable width in dots (default 576). */
  paperWidth?: number;
  statusTimeoutMs?: number;
  timers?: Timers;
  log?: Logger;
}

/**
 * The `sim` printer: the real ESC/POS driver, cabled in memory to a simulated printer
 * (device-sim.ts) that interprets every byte. Jobs, their pages and the paper state are on
 * `device`; `jobs`, `renderPng()` and the `job` event are here as shortcuts.
 */
export class SimPrinter extends EscPosPrinter {
  readonly device: PrinterDevice;
  readonly #printerEnd: MemoryLine;

  constructor(options: SimPrinterOptions = {}) {
    const [host, printer] = MemoryLine.pair();
    super({ line: host, statusTimeoutMs: options.statusTimeoutMs, timers: options.timers, log: options.log });
    this.device = new PrinterDevice({ paperWidth: options.paperWidth });
    this.device.serve(printer);
    this.#printerEnd = printer;
  }

  override async start(): Promise<void> {
    await this.#printerEnd.start();
    await super.start();
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.#printerEnd.stop();
  }

  get jobs(): PrintJob[] {
    return this.device.jobs;
  }

  renderPng(job: PrintJob): Promise<Buffer> {
    return this.device.renderPng(job);
  }

  onJob(listener: (job: PrintJob) => void): () => void {
    this.device.on('job', listener);
    return () => this.device.off('job', listener);
  }
}
