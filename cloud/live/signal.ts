/**
 * Tells this node's live screens that a device of a site said something (status, reported
 * mode, a command's answer), so the screen shows it at once instead of at its next look.
 * Only a hint: the stream still reads the database every second, which is how it sees what
 * other HQ nodes recorded.
 */
export class DeviceSignal {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** A promise that settles at the next signal for `site`, or after `ms`. */
  next(site: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiting.get(site) ?? new Set();
      this.waiting.set(site, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.waiting.get(site) === set) this.waiting.delete(site);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  emit(site: string): void {
    for (const f of [...(this.waiting.get(site) ?? [])]) f();
  }
}
