import type { CardReader } from '../../hardware/card/port.ts';
import type { AnyCardEvent, WiegandReader } from '../../hardware/wiegand/port.ts';
import type { IdCardEvents, IdCardReader } from '../../hardware/idcard/port.ts';
import type { Scanner } from '../../hardware/scanner/port.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { Credential } from '../../shared/rules/credential.ts';

export interface GateReaders {
  card?: CardReader;
  /** A card reader wired as Wiegand 26/34: its UID reaches the agent like a serial reader's. */
  wiegand?: WiegandReader;
  idcard?: IdCardReader;
  /** Only its errors are taken here (the agent takes its codes). */
  scanner?: Scanner;
}

/**
 * Puts a lane's card and ID card readers in front of the gate agent: a card UID or an ID
 * number read reaches `present` as a typed credential, exactly like a scanned code. Reader
 * faults (noise, a reader unplugged) are logged; the agent's decision path never sees them.
 */
export class ReaderWiring {
  readonly #onCard = ({ uid }: AnyCardEvent) => this.#present({ kind: 'card', value: uid });
  readonly #onIdCard = ({ idNumber }: IdCardEvents['idcard']) => this.#present({ kind: 'idcard', value: idNumber });
  readonly #onError = (err: Error) => this.log.warn({ err: err.message, code: (err as { code?: string }).code }, 'reader error');
  #started = false;

  constructor(
    private readonly readers: GateReaders,
    private readonly present: (credential: Credential) => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const { card, wiegand, idcard, scanner } = this.readers;
    scanner?.on('error', this.#onError);
    card?.on('card', this.#onCard).on('error', this.#onError);
    wiegand?.on('card', this.#onCard).on('error', this.#onError);
    idcard?.on('idcard', this.#onIdCard).on('error', this.#onError);
    this.#started = true;
    await card?.start();
    await wiegand?.start();
    await idcard?.start();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    const { card, wiegand, idcard, scanner } = this.readers;
    await card?.stop();
    await wiegand?.stop();
    await idcard?.stop();
    card?.off('card', this.#onCard).off('error', this.#onError);
    wiegand?.off('card', this.#onCard).off('error', this.#onError);
    idcard?.off('idcard', this.#onIdCard).off('error', this.#onError);
    scanner?.off('error', this.#onError);
  }

  #present(credential: Credential): void {
    // present() never throws by contract; a rejection here would be a bug worth a log line, not a crash.
    this.present(credential).catch((err: Error) => this.log.error({ err: err.message, kind: credential.kind }, 'present failed'));
  }
}
