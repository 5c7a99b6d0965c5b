import type { Turnstile } from '../../hardware/turnstile/port.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { CommandRequest, CommandResponse } from '../../shared/sync/messages.ts';
import type { GateStore } from './store.ts';

/** What commands act on. */
export interface CommandHost {
  turnstile: Turnstile;
  passTimeoutMs: number;
  pull(): Promise<void>;
  checkpoint(): number;
  /** Restarts the device; without it, reboot commands are rejected. */
  reboot?: () => void;
}

interface Executor {
  /** Why this device cannot run the command (rejected at once), or undefined. */
  refuse?(host: CommandHost): string | undefined;
  /** Runs it; resolves to the detail of the `done` answer. */
  run(host: CommandHost): Promise<string | undefined>;
}

/** One executor per command name: a new command is a new entry here. */
export const EXECUTORS: Record<CommandRequest['name'], Executor> = {
  'open-once': {
    run: async (h) => `passed ${(await h.turnstile.open('in', 1, h.passTimeoutMs)).passed}`,
  },
  'sync-now': {
    run: async (h) => {
      await h.pull();
      return `checkpoint ${h.checkpoint()}`;
    },
  },
  reboot: {
    refuse: (h) => (h.reboot ? undefined : 'reboot is not supported on this device'),
    // Answered done first: the device will not be there to say so afterwards.
    run: async (h) => {
      setTimeout(() => h.reboot?.(), 200);
      return undefined;
    },
  },
};

/**
 * Runs a command from HQ at most once, and never after its expiry (judged on HQ's clock
 * through the learned offset). Answers twice: accepted (or expired / rejected), then done
 * or failed. A command seen before gets its recorded answer again, and does not run.
 */
export class CommandRunner {
  constructor(private readonly o: {
    store: GateStore; host: CommandHost; log: Logger; now: () => number;
    answer: (res: CommandResponse) => void;
  }) {}

  async handle(req: CommandRequest): Promise<void> {
    const { store, host, now } = this.o;
    const answer = (status: CommandResponse['status'], detail?: string) => {
      store.setCommand(req.id, req.name, status, detail ?? null, now());
      this.o.answer({ id: req.id, status, detail, at: now() });
    };
    const seen = store.command(req.id);
    if (seen) return this.o.answer({ id: req.id, status: seen.status as CommandResponse['status'], detail: seen.detail ?? undefined, at: now() });
    const hqNow = now() + Number(store.meta('clock_offset') ?? 0);
    if (hqNow > req.expiresAt) return answer('expired', `expired ${Math.round((hqNow - req.expiresAt) / 1000)} s ago`);
    const executor = EXECUTORS[req.name];
    const refused = executor.refuse?.(host);
    if (refused) return answer('rejected', refused);
    answer('accepted');
    this.o.log.info({ id: req.id, name: req.name }, 'command');
    try {
      answer('done', await executor.run(host));
    } catch (err) {
      answer('failed', (err as Error).message.slice(0, 200));
    }
  }
}
