import type { FingerprintReader, Outcome } from '../../hardware/fingerprint/port.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { Refusal } from '../../shared/rules/reasons.ts';
import type { GateStore } from './store.ts';

/** Fingerprint outcomes as gate refusals. */
export const FINGER_REFUSAL = {
  no_finger: 'no_finger',
  poor_image: 'finger_poor_image',
  no_match: 'finger_mismatch',
  merge_failed: 'finger_poor_image',
  unavailable: 'finger_unavailable',
} as const satisfies Record<string, Refusal>;
export type FingerResult = 'match' | keyof typeof FINGER_REFUSAL;

export interface FingerCheckOptions {
  reader: FingerprintReader;
  store: GateStore;
  nowS: () => number;
  /** How long the gate waits for a finger after a credential that needs one. */
  waitMs: number;
  prompt(p: { id: string; message: string; messageEn: string }): void;
  /** A press when no credential waits for one: entry by finger alone (1:N). */
  onPressAlone(press: Outcome): void;
  log: Logger;
}

/**
 * The fingerprint check of a gate. Templates come down the change log, sealed in the store;
 * they are written into the module's library (one page each) so a finger alone can be
 * searched 1:N inside the module, and downloaded into it for 1:1 after a credential. The
 * module reports each press (watch mode): the press goes to a credential waiting for one, or
 * else is an entry by finger alone.
 */
export class FingerCheck {
  readonly #o: FingerCheckOptions;
  #waiter: ((p: Outcome) => void) | undefined;
  #syncing: Promise<void> | undefined;
  #again = false;
  readonly #onPress = (p: Outcome) => {
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w(p);
    } else this.#o.onPressAlone(p);
  };

  constructor(options: FingerCheckOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    const { reader, store } = this.#o;
    reader.on('press', this.#onPress);
    reader.on('error', (err) => this.#o.log.warn({ err: err.message }, 'fingerprint module error'));
    await reader.start();
    store.onFingerprints = () => void this.syncLibrary();
    // The module may have been replaced or emptied: what it holds must be what the store says.
    const count = await reader.templateCount().catch(() => undefined);
    if (count !== undefined && count !== store.fingerprintPages().size) {
      this.#o.log.warn({ module: count, store: store.fingerprintPages().size }, 'fingerprint library out of step: written anew');
      await reader.clear();
      store.clearFingerprintPages();
    }
    await this.syncLibrary();
  }

  async stop(): Promise<void> {
    this.#o.store.onFingerprints = undefined;
    this.#o.reader.off('press', this.#onPress);
    await this.#syncing?.catch(() => undefined);
    await this.#o.reader.stop();
  }

  /** Does this ticket need a finger here (a template is bound and held)? */
  holds(ticketId: string): boolean {
    return this.#o.store.fingerprint(ticketId, this.#o.nowS()) !== undefined;
  }

  /** 1:1 after a credential: asks for the finger, waits for a press, matches it to the ticket's template. */
  async verify(ticketId: string): Promise<FingerResult> {
    const held = this.#o.store.fingerprint(ticketId, this.#o.nowS());
    if (!held) return 'unavailable';
    this.#o.prompt({ id: 'finger_press', message: '请按指纹', messageEn: 'Please press your finger on the reader' });
    const press = await new Promise<Outcome | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        resolve(undefined);
      }, this.#o.waitMs);
      this.#waiter = (p) => {
        clearTimeout(timer);
        resolve(p);
      };
    });
    if (!press) return 'no_finger';
    if (!press.ok) return press.reason;
    const m = await this.#o.reader.matchPress(held.template);
    return m.ok ? 'match' : m.reason;
  }

  /** 1:N after a press alone: whose ticket is this finger bound to, among what the module holds? */
  async identify(press: Outcome): Promise<{ result: 'match'; ticketId: string } | { result: Exclude<FingerResult, 'match'> }> {
    if (!press.ok) return { result: press.reason };
    const found = await this.#o.reader.searchPress(0, this.#o.reader.capacity);
    if (!found.ok) return { result: found.reason };
    const ticketId = this.#o.store.fingerprintAt(found.page, this.#o.nowS());
    return ticketId ? { result: 'match', ticketId } : { result: 'no_match' };
  }

  /** Writes templates the module lacks into free pages; frees the pages of tickets that ended. */
  syncLibrary(): Promise<void> {
    if (this.#syncing) {
      this.#again = true;
      return this.#syncing;
    }
    this.#syncing = this.#sync()
      .catch((err: Error) => this.#o.log.warn({ err: err.message }, 'fingerprint library not written'))
      .finally(() => {
        this.#syncing = undefined;
        if (this.#again) {
          this.#again = false;
          void this.syncLibrary();
        }
      });
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    const { store, reader } = this.#o;
    const now = this.#o.nowS();
    store.purgeExpiredFingerprints(now); // their pages are free again, overwritten when reused
    const used = store.fingerprintPages();
    let page = 0;
    for (const ticketId of store.fingerprintsToWrite(now, reader.capacity)) {
      while (used.has(page)) page++;
      if (page >= reader.capacity) {
        this.#o.log.warn({ capacity: reader.capacity }, 'fingerprint module full: the rest are checked 1:1 only');
        return;
      }
      const held = store.fingerprint(ticketId, now);
      if (!held) continue;
      await reader.storeTemplate(page, held.template);
      store.setFingerprintPage(ticketId, page);
      used.add(page);
    }
  }
}
