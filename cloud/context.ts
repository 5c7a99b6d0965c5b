import type { AuditAnchorer } from './audit/anchor.ts';
import type { IssuerKey } from '../shared/code/keys.ts';
import type { Logger } from '../shared/log/logger.ts';
import type { DesiredMode } from '../shared/sync/messages.ts';
import type { CloudConfig } from './config.ts';
import type { Db } from './db/open.ts';
import type { DeviceAuth } from './devices/auth.ts';
import type { DeviceSignal } from './live/signal.ts';
import type { Account } from './mqtt/dynsec.ts';

/** What every service and route of the cloud gets handed: no module-level state. */
export interface CloudContext {
  config: CloudConfig;
  db: Db;
  key: IssuerKey;
  /** Identity of this HQ's change log (see sync/changes.ts). */
  changeLog: string;
  log: Logger;
  /** Checks and issues device credentials (broker, sync endpoints). */
  deviceAuth: DeviceAuth;
  now: () => number;
  /** Rings the doorbell of a site's devices: new changes to pull. */
  notify: (site: string) => void;
  /** Publishes a desired mode, retained, for a site (device '') or one device. */
  publishDesired: (site: string, device: string, desired: DesiredMode) => void;
  /** Publishes any message to devices (commands). */
  publish: (topic: string, payload: object, qos: 0 | 1) => void;
  /** Several HQ nodes: this node's name, and whether it holds the once-only work now. */
  cluster?: { node: string; leader: () => boolean };
  /** Wakes this node's live screens when a device of a site spoke (cloud/live/signal.ts); absent in tools. */
  deviceSignal?: DeviceSignal;
  /** An external broker's device accounts (MQTT_URL with MQTT_ACCOUNTS=dynsec); absent otherwise. */
  brokerAccounts?: { register(account: Account): Promise<void> };
  /** The broker address HQ's devices are given in their setup code (absent in bare test contexts). */
  mqttUrl?: string;
  /** Signs the audit chain's head into a file the database cannot reach (absent in bare test contexts). */
  audit?: AuditAnchorer;
}
