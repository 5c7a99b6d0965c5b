import { LinkSim, type LineShape, type LinkStats } from '../tools/link-sim.ts';

/**
 * The line at a remote scenic spot: ADSL 512 kbit/s up, 2 Mbit/s down, 150 ms round trip.
 * A gate gets two of them, one for MQTT and one for HTTP. On site both ride one modem, so
 * this over-states capacity when both directions of both links are busy at once; in each
 * phase here one link carries almost everything (MQTT up for uploads, HTTP down for the
 * change log), so the difference is the other link's few requests and doorbells.
 */
export const WAN: Readonly<LineShape> = { upKbps: 512, downKbps: 2048, latencyMs: 75, jitterMs: 0 };

export interface Traffic {
  up: number;
  down: number;
}

/** A gate's two lines to HQ. */
export class Wan {
  readonly mqtt: LinkSim;
  readonly http: LinkSim;

  constructor(cloud: { mqttPort: number; httpPort: number }, shape: LineShape = WAN) {
    this.mqtt = new LinkSim({ target: { host: '127.0.0.1', port: cloud.mqttPort }, ...shape });
    this.http = new LinkSim({ target: { host: '127.0.0.1', port: cloud.httpPort }, ...shape });
  }

  get mqttUrl(): string { return `mqtt://127.0.0.1:${this.mqtt.port}`; }
  get cloudUrl(): string { return `http://127.0.0.1:${this.http.port}`; }

  async start(): Promise<void> {
    await this.mqtt.start();
    await this.http.start();
  }

  cut(): void {
    this.mqtt.cut();
    this.http.cut();
  }

  restore(): void {
    this.mqtt.restore();
    this.http.restore();
  }

  async stop(): Promise<void> {
    await this.mqtt.stop();
    await this.http.stop();
  }
}

/** Bytes that crossed a line between two stats snapshots. */
export function traffic(before: LinkStats, after: LinkStats): Traffic {
  return { up: after.bytesUp - before.bytesUp, down: after.bytesDown - before.bytesDown };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
