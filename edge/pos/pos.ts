import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { LockerBank } from '../../hardware/locker/port.ts';
import type { PrinterPort } from '../../hardware/printer/port.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { formatYuan, type Fen } from '../../shared/money/money.ts';
import { EscPosBuilder } from '../../shared/print/escpos.ts';
import { DEFAULT_TZ, formatLocal } from '../../shared/time/zone.ts';
import type { PosConfig } from './config.ts';
import { PosError } from './errors.ts';
import type { ChargeLine, ChargeRow, PosStore } from './store.ts';

export interface ChargeAnswer {
  chargeId: string;
  bandUid: string;
  amountFen: number;
  /** What the band has left as this POS knows it. */
  balanceFen: number;
  offline: boolean;
  items: ChargeLine[];
}

const yuan = (f: number) => `¥${formatYuan(f as Fen)}`;

/**
 * The shop's till: charges a wristband from the local cache, always (the network only moves
 * balances in and charges out). Online (a good pull within `staleMs`) a band may spend what
 * HQ's balance says less what was charged here since; offline, also no more than
 * `offlineLimitFen` in charges decided offline. The decision and the stored charge are one
 * SQLite transaction: a charge is made once or not at all.
 */
export class Pos {
  constructor(private readonly o: {
    config: PosConfig; store: PosStore; log: Logger; now: () => number;
    /** When HQ's balances were last pulled successfully (ms), or undefined. */
    lastPullAt: () => number | undefined;
    printer?: PrinterPort; newId?: () => string;
    /** A charge was stored: send it now (resolves when the send is over). */
    onCharged?: () => Promise<void> | void;
  }) {}

  online(): boolean {
    const at = this.o.lastPullAt();
    return at !== undefined && this.o.now() - at <= this.o.config.staleMs;
  }

  /** What a band may spend here now, and its balance as known here. */
  quote(bandUid: string): { bandUid: string; state: string; balanceFen: number; availableFen: number; offline: boolean } {
    const uid = normaliseUid(bandUid);
    const w = this.o.store.wallet(uid);
    if (!w) throw new PosError('unknown_band', { bandUid: uid });
    const offline = !this.online();
    const balanceFen = w.balanceFen - this.o.store.pendingFen(w);
    const availableFen = w.state !== 'open' ? 0 : offline ? Math.max(0, Math.min(balanceFen, this.o.config.offlineLimitFen - this.o.store.pendingFen(w, true))) : Math.max(0, balanceFen);
    return { bandUid: uid, state: w.state, balanceFen, availableFen, offline };
  }

  async charge(bandUid: string, lines: { code: string; quantity: number }[]): Promise<ChargeAnswer> {
    const uid = normaliseUid(bandUid);
    const catalog = new Map(this.o.store.items().map((i) => [i.code, i]));
    if (!lines.length || lines.some((l) => !Number.isInteger(l.quantity) || l.quantity < 1 || l.quantity > 999)) throw new PosError('invalid_request');
    const items: ChargeLine[] = lines.map((l) => {
      const i = catalog.get(l.code);
      if (!i) throw new PosError('unknown_item', { code: l.code });
      return { code: i.code, name: i.name, priceFen: i.priceFen, quantity: l.quantity };
    });
    const amountFen = items.reduce((s, i) => s + i.priceFen * i.quantity, 0);
    const chargeId = (this.o.newId ?? randomUUID)();
    const answer = this.o.store.charge(() => {
      const w = this.o.store.wallet(uid);
      if (!w) throw new PosError('unknown_band', { bandUid: uid });
      if (w.state !== 'open') throw new PosError('band_blocked', { bandUid: uid, state: w.state });
      const offline = !this.online();
      const balanceFen = w.balanceFen - this.o.store.pendingFen(w);
      if (amountFen > balanceFen) throw new PosError('insufficient_balance', { balanceFen, amountFen });
      if (offline && this.o.store.pendingFen(w, true) + amountFen > this.o.config.offlineLimitFen) {
        throw new PosError('offline_limit', { limitFen: this.o.config.offlineLimitFen, amountFen });
      }
      const row = { chargeId, walletId: w.id, bandUid: uid, amountFen, items, voidOf: null, at: this.o.now(), offline, decided: offline ? 'local' as const : 'hq' as const };
      return { row, chargeId, bandUid: uid, amountFen, balanceFen: balanceFen - amountFen, offline, items };
    });
    const { row: _row, ...out } = answer;
    if (!answer.offline) {
      // Online, HQ has the word (another shop may have spent the band a moment ago); the charge
      // is stored already, so a crash here leaves it to be sent once, as HQ decides.
      const hq = await this.askHq(chargeId);
      if (hq.refused) throw new PosError(hq.refused === 'band_blocked' ? 'band_blocked' : 'insufficient_balance', { bandUid: uid, amountFen });
      if (hq.balanceFen !== undefined) out.balanceFen = hq.balanceFen;
      out.offline = hq.local;
    } else {
      void this.o.onCharged?.();
    }
    this.o.log.info({ chargeId, band: uid, amountFen, offline: out.offline }, 'band charged');
    await this.receipt(out, '消费');
    return out;
  }

  /**
   * Sends a stored charge now and waits up to hqTimeoutMs for HQ's answer. No answer in time:
   * the POS decides it itself (it already passed the local check) and HQ must record it.
   */
  private async askHq(chargeId: string): Promise<{ refused?: string; balanceFen?: number; local: boolean }> {
    const sent = this.o.onCharged?.() ?? Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([sent, new Promise((r) => (timer = setTimeout(r, this.o.config.hqTimeoutMs)))]);
    clearTimeout(timer);
    let row = this.o.store.chargeById(chargeId)!;
    if (row.hqResult === null) row = this.o.store.decideLocally(chargeId);
    if (row.hqResult === null) return { local: true, balanceFen: undefined };
    if (row.hqResult.startsWith('rejected:')) return { refused: row.hqResult.slice('rejected:'.length), local: false };
    const w = this.o.store.wallet(row.bandUid);
    return { local: false, balanceFen: w ? w.balanceFen - this.o.store.pendingFen(w) : undefined };
  }

  /** Takes a charge back (the whole of it), with the supervisor's PIN; the band gets it back. */
  async refund(chargeId: string, pin: string): Promise<ChargeAnswer> {
    const want = this.o.config.supervisorPinSha256;
    const got = createHash('sha256').update(pin).digest();
    if (!want || !timingSafeEqual(got, Buffer.from(want, 'hex'))) throw new PosError('supervisor_required');
    const id = (this.o.newId ?? randomUUID)();
    const answer = this.o.store.charge(() => {
      const orig: ChargeRow | undefined = this.o.store.chargeById(chargeId);
      if (!orig || orig.voidOf || orig.hqResult?.startsWith('rejected')) throw new PosError('unknown_charge', { chargeId });
      if (this.o.store.voidOf(chargeId)) throw new PosError('already_refunded', { chargeId });
      const w = this.o.store.wallet(orig.bandUid);
      const row = { chargeId: id, walletId: orig.walletId, bandUid: orig.bandUid, amountFen: orig.amountFen, items: orig.items, voidOf: chargeId, at: this.o.now(), offline: !this.online(), decided: 'local' as const };
      const balanceFen = w ? w.balanceFen - this.o.store.pendingFen(w) + orig.amountFen : 0;
      return { row, chargeId: id, bandUid: orig.bandUid, amountFen: orig.amountFen, balanceFen, offline: row.offline, items: orig.items };
    });
    this.o.log.info({ chargeId: id, voidOf: chargeId, amountFen: answer.amountFen }, 'charge refunded (supervisor)');
    void this.o.onCharged?.();
    await this.receipt(answer, '退款');
    const { row: _row, ...out } = answer;
    return out;
  }

  /** A receipt on the shop's printer; a printer fault is logged, the charge stands. */
  private async receipt(a: ChargeAnswer, title: string): Promise<void> {
    if (!this.o.printer) return;
    const b = new EscPosBuilder().init().chinese(true).align('center').bold(true).line(`${this.o.config.shop} ${title}`).bold(false).align('left');
    for (const i of a.items) b.line(`${i.name} x${i.quantity}  ${yuan(i.priceFen * i.quantity)}`);
    b.line(`合计 Total: ${yuan(a.amountFen)}`).line(`余额 Balance: ${yuan(a.balanceFen)}`).line(`腕带 Band: ${a.bandUid}`)
      .line(formatLocal(this.o.now(), DEFAULT_TZ)).line(`No. ${a.chargeId.slice(0, 8)}${a.offline ? ' (离线)' : ''}`).cut(40);
    try {
      await this.o.printer.print(b.bytes());
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message, chargeId: a.chargeId }, 'receipt not printed');
    }
  }
}

/**
 * Opens the lockers of this bank a band holds (HQ assigns them; the list comes with the
 * balances). A blocked band opens nothing: a found band must not empty a locker.
 */
export async function openLockersOf(store: PosStore, bank: LockerBank, bandUid: string, log: Logger): Promise<string[]> {
  const uid = normaliseUid(bandUid);
  const w = store.wallet(uid);
  if (!w) throw new PosError('unknown_band', { bandUid: uid });
  if (w.state !== 'open') throw new PosError('band_blocked', { bandUid: uid, state: w.state });
  const mine = store.lockersOf(uid).filter((l) => bank.lockers.includes(l));
  if (!mine.length) throw new PosError('no_locker', { bandUid: uid });
  for (const l of mine) {
    try {
      await bank.unlock(l);
    } catch (err) {
      log.error({ locker: l, err: (err as Error).message }, 'locker did not open');
      throw new PosError('locker_fault', { locker: l });
    }
  }
  log.info({ band: uid, lockers: mine }, 'lockers opened');
  return mine;
}

export function normaliseUid(raw: string): string {
  const uid = String(raw).trim().toUpperCase();
  if (!/^[0-9A-F]{8,20}$/.test(uid)) throw new PosError('unknown_band', { bandUid: raw });
  return uid;
}
