import type { Turnstile } from '../../hardware/turnstile/port.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { Mode } from '../../shared/rules/model.ts';
import type { DesiredMode, ReportedMode } from '../../shared/sync/messages.ts';
import type { Feedback } from './feedback.ts';
import type { GateStore } from './store.ts';

/**
 * The gate's mode as target vs current state: the target is HQ's newest order (persisted,
 * versioned) unless the local emergency input is active, which beats it; the current mode
 * is what the leaves and the feedback were last set to. `apply()` brings current to target
 * and reports what is in force.
 */
export class GateMode {
  private localEmergency = false;
  private current: Mode | undefined;

  constructor(private readonly o: {
    store: GateStore; turnstile: Turnstile; feedback: Feedback; log: Logger; now: () => number;
    report: (r: ReportedMode) => void;
    /** Setting the leaves failed. */
    onError: (message: string) => void;
  }) {}

  /** The mode in force. */
  get target(): Mode {
    return this.localEmergency ? 'emergency' : this.o.store.desired().mode;
  }

  /** HQ's order arrived (retained message or change log); kept and applied only if newer. */
  offer(d: DesiredMode): void {
    if (!this.o.store.offerDesired(d)) return;
    this.o.log.info({ mode: d.mode, version: d.version }, 'desired mode');
    this.apply();
  }

  /** The fire alarm input (or its release). */
  setLocalEmergency(active: boolean): void {
    this.localEmergency = active;
    this.o.log.warn({ active }, 'local emergency input');
    this.apply();
  }

  /** Brings the leaves and feedback in line with the target, and reports it. */
  apply(): void {
    const target = this.target;
    if (target !== this.current) {
      this.current = target;
      this.o.turnstile.setEmergencyOpen(target === 'emergency').catch((err: Error) => this.o.onError(`turnstile: ${err.message}`));
      this.o.feedback.mode(target);
    }
    this.report();
  }

  report(): void {
    const d = this.o.store.desired();
    this.o.report({ mode: this.target, version: d.version, source: this.localEmergency ? 'local-emergency' : 'remote', at: this.o.now() });
  }
}
