import { isDeviceUp, parseDeviceTopic, topics } from '../../shared/sync/topics.ts';

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

/** `site` is a validated name (letters, digits, - and _). */
export function siteRoutes(site: string): SiteRoutes {
  const mine = (topic: string) => {
    const t = parseDeviceTopic(topic);
    return t?.site === site ? t : undefined;
  };
  return {
    up(topic) {
      // Siblings' live messages stay on the LAN: HQ gets the same entries in the uploads.
      const t = mine(topic);
      if (!t || !isDeviceUp(t.kind)) return undefined;
      const lastValue = t.kind === 'status' || t.kind === 'reported';
      return { lastValue, retain: lastValue };
    },
    down(topic) {
      if (topic === topics.notify(site)) return 'notify';
      if (topic === topics.siteDesired(site)) return 'desired';
      const t = mine(topic);
      if (t?.kind === 'desired') return 'desired';
      if (t?.kind === 'up/ack' || t?.kind === 'cmd/req') return 'relay';
      return undefined;
    },
    downSubscriptions: [topics.upAck(site, '+'), topics.notify(site), topics.siteDesired(site), topics.desired(site, '+'), topics.cmdReq(site, '+')],
  };
}
