/**
 * Every MQTT topic of the system, built and parsed here and nowhere else: `tk/v1/{site}/...`
 * for the site, `tk/v1/{site}/{device}/...` for one device. Published topics never hold
 * wildcards; the `all*` and `site*` filters are what HQ, a hub and gates subscribe to.
 */
const NAME = '[A-Za-z0-9_-]{1,64}';

/** What a device publishes on its own topics (HQ and a hub take these up). */
/** `charges`: a POS's wallet charges (JSON), apart from `up` so gates sharing entries never see them. */
export const DEVICE_UP = ['up', 'status', 'reported', 'cmd/res', 'charges'] as const;
/** What HQ (or the hub relaying it) sends to one device. */
export const DEVICE_DOWN = ['up/ack', 'desired', 'cmd/req'] as const;
/**
 * A gate's small live message for its siblings (its newest entries, sent at once): a site hub
 * keeps it on the LAN, so siblings decide with it while the uploads to HQ are coalesced.
 */
export const SIBLING = 'sib' as const;
export type DeviceUpKind = (typeof DEVICE_UP)[number];
export type DeviceDownKind = (typeof DEVICE_DOWN)[number];
export type DeviceTopicKind = DeviceUpKind | DeviceDownKind | typeof SIBLING;

export const topics = {
  up: (site: string, device: string) => `tk/v1/${site}/${device}/up`,
  upAck: (site: string, device: string) => `tk/v1/${site}/${device}/up/ack`,
  charges: (site: string, device: string) => `tk/v1/${site}/${device}/charges`,
  status: (site: string, device: string) => `tk/v1/${site}/${device}/status`,
  sibling: (site: string, device: string) => `tk/v1/${site}/${device}/${SIBLING}`,
  notify: (site: string) => `tk/v1/${site}/notify`,
  /** Desired mode for every device of a site, and for one device. Retained. */
  siteDesired: (site: string) => `tk/v1/${site}/desired`,
  desired: (site: string, device: string) => `tk/v1/${site}/${device}/desired`,
  reported: (site: string, device: string) => `tk/v1/${site}/${device}/reported`,
  cmdReq: (site: string, device: string) => `tk/v1/${site}/${device}/cmd/req`,
  cmdRes: (site: string, device: string) => `tk/v1/${site}/${device}/cmd/res`,
  allCmdRes: 'tk/v1/+/+/cmd/res',
  /** What HQ subscribes to: every device's uploads, statuses and reported modes. */
  allUp: 'tk/v1/+/+/up',
  allCharges: 'tk/v1/+/+/charges',
  allStatus: 'tk/v1/+/+/status',
  allReported: 'tk/v1/+/+/reported',
  /** What a gate subscribes to: its siblings' uploads, to share entries on the site. */
  siteUp: (site: string) => `tk/v1/${site}/+/up`,
  /** Siblings' live messages (on a hub's LAN). */
  siteSibling: (site: string) => `tk/v1/${site}/+/${SIBLING}`,
} as const;

const DEVICE_TOPIC = new RegExp(`^tk/v1/(${NAME})/(${NAME})/(up|up/ack|status|desired|reported|cmd/req|cmd/res|charges|${SIBLING})$`);
const SITE_TOPIC = new RegExp(`^tk/v1/(${NAME})/(notify|desired)$`);

export interface DeviceTopic { site: string; device: string; kind: DeviceTopicKind }

/** `tk/v1/{site}/{device}/{kind}` taken apart; undefined for anything else. */
export function parseDeviceTopic(topic: string): DeviceTopic | undefined {
  const m = DEVICE_TOPIC.exec(topic);
  return m ? { site: m[1]!, device: m[2]!, kind: m[3] as DeviceTopicKind } : undefined;
}

/** `tk/v1/{site}/notify` or `tk/v1/{site}/desired`; undefined for anything else. */
export function parseSiteTopic(topic: string): { site: string; kind: 'notify' | 'desired' } | undefined {
  const m = SITE_TOPIC.exec(topic);
  return m ? { site: m[1]!, kind: m[2] as 'notify' | 'desired' } : undefined;
}

export function isDeviceUp(kind: DeviceTopicKind): kind is DeviceUpKind {
  return (DEVICE_UP as readonly string[]).includes(kind);
}
