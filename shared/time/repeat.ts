/**
 * Work done now and then again `intervalMs` after each run ends (never two runs at once), until
 * stopped; `stop()` waits for a run under way. A run that throws is reported to `onError` and
 * the next one is scheduled as usual.
 */
export class Repeat {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly run: () => Promise<unknown>, private readonly intervalMs: number, private readonly onError: (err: Error) => void) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.run().then(() => undefined, (err: Error) => this.onError(err)).finally(() => this.schedule(this.intervalMs));
    }, ms);
  }
}
