import { topics } from '../../shared/sync/messages.ts';

/**
 * What the hub relays, decided by topic alone: payloads are opaque bytes (uploads may be
 * binary) and are never parsed.
 */
export interface UpRoute {
  /** Keep only the newest payload per topic in the queue. */
  lastValue: boolean;
  /**
   * The topic is retained by design. aedes (MQTT 3.1.1) clears RETAIN when it forwards to a
   * live subscriber, so for these the flag as received cannot be trusted.
   */
  retain: boolean;
}

export type DownKind = 'desired' | 'notify' | 'relay';

export interface SiteRoutes {
  /** Device -> HQ: the route of a topic, or undefined for anything not forwarded. */
  up(topic: string): UpRoute | undefined;
  /** HQ -> devices: what to do with a topic, or undefined to drop it. */
  down(topic: string): DownKind | undefined;
  /** What the hub subscribes to upstream (QoS 1). */
  downSubscriptions: string[];
}

const DEVICE = '[A-Za-z0-9_-]{1,64}';

/** `site` is a validated name (letters, digits, - and _), safe inside a pattern. */
export function siteRoutes(site: string): SiteRoutes {
  const up = new RegExp(`^tk/v1/${site}/${DEVICE}/(up|status|reported|cmd/res)$`);
  const deviceDesired = new RegExp(`^tk/v1/${site}/${DEVICE}/desired$`);
  const relayed = new RegExp(`^tk/v1/${site}/${DEVICE}/(up/ack|cmd/req)$`);
  return {
    up(topic) {
      const what = up.exec(topic)?.[1];
      if (!what) return undefined;
      const lastValue = what === 'status' || what === 'reported';
      return { lastValue, retain: lastValue };
    },
    down(topic) {
      if (topic === topics.notify(site)) return 'notify';
      if (topic === topics.siteDesired(site) || deviceDesired.test(topic)) return 'desired';
      if (relayed.test(topic)) return 'relay';
      return undefined;
    },
    downSubscriptions: [topics.upAck(site, '+'), topics.notify(site), topics.siteDesired(site), topics.desired(site, '+'), topics.cmdReq(site, '+')],
  };
}
