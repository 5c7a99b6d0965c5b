import { randomUUID } from 'node:crypto';
import type { PrinterPort } from '../../hardware/printer/port.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { formatYuan, type Fen } from '../../shared/money/money.ts';
import { EscPosBuilder } from '../../shared/print/escpos.ts';
import { formatLocal } from '../../shared/time/zone.ts';
import { HqRefused, HqUnreachable, type HqClient } from '../agent/hq.ts';
import type { KioskConfig } from './config.ts';
import { KioskError } from './errors.ts';
import type { KioskStore, WalletAttemptRow } from './store.ts';

const yuan = (f: number) => `¥${formatYuan(f as Fen)}`;
const UID = /^[0-9A-F]{8,20}$/;

export interface WalletAnswer { attemptId: string; bandUid: string; kind: string; amountFen: number; balanceFen: number; depositFen: number; printed: boolean }

/**
 * The one-card (一卡通) at the kiosk: a visitor reads a wristband, opens its wallet (the deposit
 * and a first balance) or tops it up, pays with a payment code, and gets a receipt. Like the
 * ticket sale it needs HQ (the balance lives there): the attempt is stored before paying and
 * its id is HQ's and the provider's idempotency key, so a retry after a lost answer is the same
 * charge and the same movement; a paid attempt is never sent again, only its receipt printed.
 */
export class KioskWallet {
  private readonly busy = new Set<string>();

  constructor(private readonly o: { config: KioskConfig; store: KioskStore; hq: HqClient; printer: PrinterPort; log: Logger; now: () => number; newId?: () => string }) {}

  /** The band as HQ knows it, and what the screen offers: the deposit (new band) and the top-up amounts. */
  async band(raw: string): Promise<{ bandUid: string; state: string; balanceFen: number; depositFen: number; newDepositFen: number; topUpsFen: number[] }> {
    const uid = normaliseUid(raw);
    try {
      const r = await this.o.hq.call<{ state: string; balanceFen: number; depositFen: number }>('GET', `/api/v1/sync/kiosk/wallets/bands/${uid}`);
      return { bandUid: uid, ...r.body, newDepositFen: this.o.config.wallet.depositFen, topUpsFen: this.o.config.wallet.topUpsFen };
    } catch (err) {
      if (err instanceof HqUnreachable) throw new KioskError('wallet_unavailable', {}, err.message);
      if (err instanceof HqRefused) throw new KioskError('not_found', { bandUid: uid }, err.message);
      throw err;
    }
  }

  /** Stores the attempt (before anything is paid): the amount the visitor is shown. */
  async start(raw: string, topUpFen: number): Promise<{ attemptId: string; bandUid: string; kind: string; depositFen: number; topUpFen: number; amountFen: number }> {
    if (!Number.isInteger(topUpFen) || topUpFen < 1 || topUpFen > this.o.config.wallet.maxTopUpFen) throw new KioskError('invalid_request');
    const b = await this.band(raw);
    if (b.state === 'lost') throw new KioskError('band_blocked', { bandUid: b.bandUid });
    const kind = b.state === 'new' ? 'issue' : 'topup';
    const depositFen = kind === 'issue' ? this.o.config.wallet.depositFen : 0;
    const row = this.o.store.createWalletAttempt({ attemptId: (this.o.newId ?? randomUUID)(), bandUid: b.bandUid, kind, depositFen, topUpFen, amountFen: depositFen + topUpFen });
    return { attemptId: row.attemptId, bandUid: row.bandUid, kind, depositFen, topUpFen, amountFen: row.amountFen };
  }

  /** Pays an attempt with the visitor's payment code, then prints the receipt. */
  async pay(attemptId: string, authCode: string): Promise<WalletAnswer> {
    if (this.busy.has(attemptId)) throw new KioskError('busy');
    this.busy.add(attemptId);
    try {
      let a = this.o.store.walletAttempt(attemptId);
      if (!a) throw new KioskError('expired_session');
      if (a.state === 'failed') throw new KioskError((['price_changed', 'paid_not_issued', 'band_blocked'] as const).find((k) => k === a!.error) ?? 'payment_failed', { attemptId });
      if (a.state === 'new') {
        if (!/^\d{10,32}$/.test(authCode)) throw new KioskError('invalid_request');
        a = await this.charge(a, authCode);
      }
      if (!a.printed) a = await this.receipt(a);
      const r = JSON.parse(a.result!) as { balanceFen: number; depositFen: number };
      return { attemptId, bandUid: a.bandUid, kind: a.kind, amountFen: a.amountFen, balanceFen: r.balanceFen, depositFen: r.depositFen, printed: a.printed };
    } finally {
      this.busy.delete(attemptId);
    }
  }

  private async charge(a: WalletAttemptRow, authCode: string): Promise<WalletAttemptRow> {
    const { store, hq, log } = this.o;
    try {
      const res = await hq.call<{ state: string; balanceFen: number; depositFen: number; walletId: string }>('POST', '/api/v1/sync/kiosk/wallets', {
        attemptId: a.attemptId, bandUid: a.bandUid, kind: a.kind, depositFen: a.depositFen, topUpFen: a.topUpFen, amountFen: a.amountFen, authCode,
      }, Math.max(this.o.config.hqTimeoutMs, 10_000));
      if (res.status === 202 || res.body.state !== 'paid') throw new KioskError('payment_pending', { attemptId: a.attemptId });
      log.info({ attemptId: a.attemptId, band: a.bandUid, kind: a.kind, amountFen: a.amountFen, walletId: res.body.walletId }, 'wallet paid');
      return store.updateWalletAttempt(a.attemptId, { state: 'paid', result: JSON.stringify({ walletId: res.body.walletId, balanceFen: res.body.balanceFen, depositFen: res.body.depositFen }), error: null });
    } catch (err) {
      if (err instanceof HqRefused) {
        // Refused before charging (band issued or blocked meanwhile), declined, or charged without credit (staff refund): over.
        const code = err.code === 'band_in_use' || err.code === 'wallet_closed' ? 'band_blocked' : (['payment_failed', 'price_changed', 'paid_not_issued'] as const).find((k) => k === err.code) ?? 'payment_failed';
        store.updateWalletAttempt(a.attemptId, { state: 'failed', error: code });
        throw new KioskError(code, { attemptId: a.attemptId }, err.message);
      }
      if (err instanceof HqUnreachable) {
        // Unknown whether the charge went through: the attempt stays open, a retry asks again with the same id.
        store.updateWalletAttempt(a.attemptId, { error: 'unreachable' });
        throw new KioskError('wallet_unavailable', { attemptId: a.attemptId }, err.message);
      }
      throw err;
    }
  }

  /** The receipt; a printer fault is said (the money is on the band), and the next pay call prints it. */
  private async receipt(a: WalletAttemptRow): Promise<WalletAttemptRow> {
    const r = JSON.parse(a.result!) as { balanceFen: number; depositFen: number };
    const b = new EscPosBuilder().init().chinese(true).align('center').bold(true).line(`${this.o.config.siteName} 一卡通`).bold(false)
      .line(a.kind === 'issue' ? '开卡 Wristband issued' : '充值 Top-up').align('left')
      .line(`腕带 Band: ${a.bandUid}`);
    if (a.depositFen) b.line(`押金 Deposit: ${yuan(a.depositFen)}`);
    b.line(`充值 Top-up: ${yuan(a.topUpFen)}`).line(`实收 Paid (移动支付): ${yuan(a.amountFen)}`).line(`余额 Balance: ${yuan(r.balanceFen)}`)
      .line('离园时凭腕带退还余额和押金').line(formatLocal(this.o.now(), this.o.config.timeZone)).line(`No. ${a.attemptId.slice(0, 8)}`).cut(40);
    try {
      await this.o.printer.print(b.bytes());
    } catch (err) {
      this.o.log.warn({ attemptId: a.attemptId, err: (err as Error).message }, 'wallet receipt not printed');
      return a;
    }
    return this.o.store.updateWalletAttempt(a.attemptId, { printed: true });
  }
}

function normaliseUid(raw: string): string {
  const uid = String(raw).trim().toUpperCase();
  if (!UID.test(uid)) throw new KioskError('invalid_band', { bandUid: raw });
  return uid;
}
