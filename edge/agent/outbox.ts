/**
 * The sending half of a site agent's durable outbox (kiosk pickups, POS charges): one send at
 * a time (a kick while one runs makes one more run after it), the next run timed to the
 * store's earliest due row, and jittered exponential backoff after a failure. What a run
 * sends and how HQ's answers are stored is the agent's `drain`; rows leave the outbox only
 * with HQ's answer, so the store, not this class, is what survives a restart.
 */
export class OutboxSender {
  lastError: string | undefined;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private halted = true;

  constructor(private readonly o: {
    now: () => number; retryMinMs: number; retryMaxMs: number; random?: () => number;
    /** When the earliest row is due again (UTC ms), or undefined with nothing queued. */
    nextAt: () => number | undefined;
    /** Sends what is due until nothing is, or a failure (reported through `failed`). */
    drain: () => Promise<void>;
  }) {}

  get stopped(): boolean { return this.halted; }

  start(): void {
    this.halted = false;
    void this.kick();
  }

  async stop(): Promise<void> {
    this.halted = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Something was queued (or the line may be back): send now. */
  kick(): Promise<void> {
    if (this.halted) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    clearTimeout(this.timer);
    this.running = (async () => {
      do {
        this.again = false;
        await this.o.drain();
      } while (this.again && !this.halted);
    })().finally(() => {
      this.running = undefined;
      this.schedule();
    });
    return this.running;
  }

  /** HQ answered: the backoff starts over. */
  succeeded(): void {
    this.failures = 0;
    this.lastError = undefined;
  }

  /** A send failed: returns when (UTC ms) the rows it carried are due again. */
  failed(err: unknown): number {
    this.failures++;
    this.lastError = (err as Error).message;
    const base = Math.min(this.o.retryMaxMs, this.o.retryMinMs * 2 ** Math.min(this.failures, 20));
    // Jitter, so agents that lost the line together do not all call back at once.
    return this.o.now() + Math.round(base * (0.5 + (this.o.random ?? Math.random)() * 0.5));
  }

  private schedule(): void {
    if (this.halted) return;
    const next = this.o.nextAt();
    if (next === undefined) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.kick(), Math.max(0, next - this.o.now()));
  }
}
