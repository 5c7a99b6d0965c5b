/**
 * Runs a task one at a time: asked again while it runs, it runs once more afterwards, so a
 * doorbell that rings during a pull is never lost and pulls never overlap.
 */
export class SingleFlight {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly task: () => Promise<void>, private readonly stopped: () => boolean) {}

  run(): Promise<void> {
    if (this.stopped()) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.task();
      } while (this.again && !this.stopped());
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Resolves when the run in progress (if any) has finished. */
  async settled(): Promise<void> {
    await this.running;
  }
}
