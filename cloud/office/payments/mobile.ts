/**
 * Mobile payment (WeChat Pay / Alipay "付款码"): the window scans the visitor's payment code
 * and asks the provider to charge it. Providers answer at once or later, so an order paid
 * this way waits in `pending` until the provider confirms (query) or refuses.
 */
export type ChargeStatus = 'paid' | 'pending' | 'failed';

export interface MobileProvider {
  readonly name: string;
  charge(req: { intentId: string; amountFen: number; authCode: string }): Promise<{ providerRef: string; status: ChargeStatus }>;
  query(providerRef: string): Promise<ChargeStatus>;
}

/**
 * A provider that behaves like the real ones without a network: a payment code ending in 4
 * is declined, one ending in 0 is paid at once, any other is pending and confirmed after
 * `confirmAfterMs` (by the injected clock), as a real provider's user confirms on the phone.
 */
export class SimulatedMobileProvider implements MobileProvider {
  readonly name = 'sim';
  private readonly charges = new Map<string, { at: number; status: ChargeStatus; amountFen: number }>();
  constructor(private readonly opts: { now?: () => number; confirmAfterMs?: number } = {}) {}

  async charge(req: { intentId: string; amountFen: number; authCode: string }) {
    const now = (this.opts.now ?? Date.now)();
    const providerRef = `sim-${req.intentId}`;
    const existing = this.charges.get(providerRef);
    if (existing) return { providerRef, status: existing.status }; // a retried charge is the same charge
    const status: ChargeStatus = req.authCode.endsWith('4') ? 'failed' : req.authCode.endsWith('0') ? 'paid' : 'pending';
    this.charges.set(providerRef, { at: now, status, amountFen: req.amountFen });
    return { providerRef, status };
  }

  async query(providerRef: string): Promise<ChargeStatus> {
    const c = this.charges.get(providerRef);
    if (!c) return 'failed';
    if (c.status === 'pending' && (this.opts.now ?? Date.now)() - c.at >= (this.opts.confirmAfterMs ?? 0)) c.status = 'paid';
    return c.status;
  }
}
