import { deviceUsername, type DeviceIdentity } from '../../shared/auth/device.ts';
import { checkEntry, type EntryRefusal } from '../../shared/auth/entries.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { unpackBatch } from '../../shared/sync/pack.ts';
import type { HubStore } from './store.ts';

const UP = /^tk\/v1\/[A-Za-z0-9_-]{1,64}\/([A-Za-z0-9_-]{1,64})\/up$/;

/**
 * The hub checks its LAN as HQ checks its broker, from its copy of HQ's records: a device
 * must be provisioned (once the hub holds a copy: a hub that never reached HQ lets its gates
 * share entries rather than none), and each entry it uploads must be for its own lane near
 * the clock. Refused entries are counted per device and logged while the WAN is down; the
 * batch still goes to HQ, which refuses them for good (and acks, so the gate's stream goes on).
 */
export class LanChecks {
  readonly refused = new Map<string, { count: number; last: { reason: EntryRefusal; lane: string; at: number } }>();

  constructor(private readonly o: { store: HubStore; now: () => number; log: Logger }) {}

  refusal(id: DeviceIdentity): { code: string; message: string } | undefined {
    if (id.role === 'hq' || id.role === 'hub' || !this.o.store.changeLog().log) return undefined;
    const record = this.o.store.siteRecords().devices.get(id.device);
    if (!record) return { code: 'unknown_device', message: `设备未登记 / device ${deviceUsername(id)} is not provisioned at HQ` };
    if (!record.active) return { code: 'device_inactive', message: `设备已停用 / device ${deviceUsername(id)} is switched off` };
    if (record.role !== id.role) return { code: 'wrong_role', message: `device ${id.device} is provisioned as a ${record.role}, not a ${id.role}` };
    return undefined;
  }

  /** An upload a LAN device published (its topic is its own: the broker checked that). */
  upload(topic: string, payload: Buffer): void {
    const device = UP.exec(topic)?.[1];
    if (!device) return;
    let entries;
    try {
      entries = unpackBatch(payload).entries;
    } catch {
      return; // HQ refuses what it cannot read, as it always has
    }
    const { devices, lanes } = this.o.store.siteRecords();
    const now = this.o.now();
    for (const e of entries) {
      const why = checkEntry(e, devices.get(device), (l) => lanes.get(l), now);
      if (!why) continue;
      const seen = this.refused.get(device) ?? { count: 0, last: { reason: why, lane: e.lane, at: now } };
      seen.count++;
      seen.last = { reason: why, lane: e.lane, at: now };
      this.refused.set(device, seen);
      this.o.log.warn({ device, lane: e.lane, ticket: e.ticketId, reason: why }, 'entry refused: not this device\'s to report');
    }
  }

  /** Refusals per device, for the hub's status. */
  summary(): Record<string, number> {
    return Object.fromEntries([...this.refused].map(([d, r]) => [d, r.count]));
  }
}
