import { randomUUID } from 'node:crypto';
import type { MqttSession } from '../../shared/sync/session.ts';
import { topics } from '../../shared/sync/topics.ts';
import { HqRefused, HqUnreachable } from '../agent/hq.ts';

export interface ChargeResult { chargeId: string; result: string; version?: number; balanceFen?: number; overspentFen?: number; error?: { code: string; message: string } }

/**
 * Charges up over MQTT (`tk/v1/{site}/{device}/charges`, QoS 1), the way a POS behind a site
 * hub reaches HQ: the hub takes each batch into its SQLite queue before it PUBACKs and
 * forwards it when the WAN lets it, as it does gates' entries. HQ answers on the POS's
 * `up/ack` with the batch id; a batch not answered within `timeoutMs` counts as not sent and
 * goes again later (HQ records each charge once, by its chargeId, and answers `duplicate`).
 */
export class MqttChargeLink {
  private closed = false;
  private readonly waiting = new Map<string, { resolve: (r: ChargeResult[]) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  constructor(private readonly o: { session: () => MqttSession | undefined; site: string; device: string; timeoutMs: number }) {}

  /** The topic HQ's answers come on (the POS subscribes to it). */
  get ackTopic(): string { return topics.upAck(this.o.site, this.o.device); }

  send(body: { device: string; charges: { chargeId: string }[] }): Promise<ChargeResult[]> {
    const session = this.o.session();
    if (this.closed) return Promise.reject(new HqUnreachable('stopping'));
    if (!session?.connected) return Promise.reject(new HqUnreachable('the site broker is not connected'));
    const batch = randomUUID();
    return new Promise<ChargeResult[]>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(batch, new HqUnreachable(`no answer from HQ within ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
      this.waiting.set(batch, { resolve, reject, timer });
      const sent = session.publish(topics.charges(this.o.site, this.o.device), JSON.stringify({ ...body, batch }), { qos: 1 }, (err) => {
        if (err) this.settle(batch, new HqUnreachable(`charges not taken by the broker: ${err.message}`));
      });
      if (!sent) this.settle(batch, new HqUnreachable('the site broker is not connected'));
    });
  }

  /** A message on the ack topic: HQ's answer for one batch. */
  onAck(payload: Buffer): void {
    let body: { batch?: string; results?: ChargeResult[]; error?: { code: string; message: string } };
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    if (typeof body.batch !== 'string') return;
    if (body.error) this.settle(body.batch, new HqRefused(403, body.error.code, body.error.message));
    else this.settle(body.batch, body.results ?? []);
  }

  /** Ends every wait (the POS is stopping). */
  close(): void {
    this.closed = true;
    for (const id of [...this.waiting.keys()]) this.settle(id, new HqUnreachable('stopping'));
  }

  private settle(batch: string, outcome: ChargeResult[] | Error): void {
    const w = this.waiting.get(batch);
    if (!w) return;
    this.waiting.delete(batch);
    clearTimeout(w.timer);
    if (outcome instanceof Error) w.reject(outcome);
    else w.resolve(outcome);
  }
}
