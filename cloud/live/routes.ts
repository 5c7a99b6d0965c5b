import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { deviceView } from '../devices/routes.ts';
import { endpoint } from '../http/endpoint.ts';
import type { CloudEnv } from '../http/env.ts';
import { requireSite, siteName } from '../sites/service.ts';
import { liveDevices, liveSummary } from './service.ts';
import { ackCapacityAlarm, capacityAckBody, capacityAlarms, capacityAlarmView } from '../capacity/alarms.ts';

const instant = z.string().describe('ISO 8601 instant');
export const liveSummaryView = z.object({
  site: z.string(), day: z.string().describe('Today, the business day in the site\'s zone'), lastWeekDay: z.string(), at: instant, timeZone: z.string(),
  inPark: z.number().int().describe('Persons in minus persons out today, every venue'),
  venues: z.array(z.object({ venue: z.string(), name: z.string(), personsIn: z.number().int(), personsOut: z.number().int(), inPark: z.number().int(), lastPassage: instant.nullable() })),
  hours: z.object({ today: z.array(z.number().int()).length(24), lastWeek: z.array(z.number().int()).length(24).describe('The same weekday a week ago') }),
  sales: z.array(z.object({ channel: z.string(), channelName: z.string(), quantity: z.number().int(), visitors: z.number().int(), grossFen: z.number().int() })),
  capacityAlarms: z.array(capacityAlarmView).describe('承载量告警: venues and ticket types at their warning level or full today, acknowledged or not'),
}).meta({ id: 'LiveSummary' });
const liveView = z.object({ summary: liveSummaryView, devices: z.array(deviceView) }).meta({ id: 'LiveSite' });
const site = z.object({ site: siteName });

/** How often the stream looks at the devices (and at once when one of the site speaks to this node), and at the figures. */
export const LIVE_DEVICES_MS = 1000;
export const LIVE_SUMMARY_MS = 3000;
const LIVE_COALESCE_MS = 80;
/** A comment line now and then keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/**
 * The control room's screen: GET /live/:site once, then GET /live/:site/stream (server-sent
 * events: `devices` and `summary`, each sent when it changed). The stream reads the database,
 * not this node's memory, so with several HQ nodes a screen sees what every node recorded.
 */
export function liveRoutes(ctx: CloudContext) {
  return new Hono<CloudEnv>()
    .get('/:site', endpoint({ summary: '现场监控 / a site now: in-park count, entries by hour, sales by channel, every device', params: site, responses: { 200: liveView } }),
      async (c) => {
        const s = c.req.valid('param').site;
        const [summary, devices] = await Promise.all([liveSummary(ctx, s), liveDevices(ctx, s)]);
        return c.json({ summary, devices });
      })
    .get('/:site/capacity-alarms', endpoint({ summary: '承载量告警 / today\'s capacity alarms (warning level and full), acknowledged or not', params: site, responses: { 200: z.object({ items: z.array(capacityAlarmView) }) } }),
      async (c) => c.json({ items: await capacityAlarms(ctx, (await requireSite(ctx.db, c.req.valid('param').site)).id) }))
    .post('/:site/capacity-alarms/ack', endpoint({
      summary: '确认承载量告警 / acknowledge a capacity alarm at the level it stands (audited)', params: site, body: capacityAckBody, signedIn: true,
      responses: { 200: z.object({ items: z.array(capacityAlarmView) }) },
    }), async (c) => {
      const b = c.req.valid('json');
      return c.json({ items: await ackCapacityAlarm(ctx, c.get('user'), (await requireSite(ctx.db, c.req.valid('param').site)).id, b.subject, b.note) });
    })
    .get('/:site/stream', endpoint({
      summary: '现场推送 / server-sent events: `devices` (every device, when one changed) and `summary` (the figures, when they changed)', params: site,
      responses: { 200: { description: 'text/event-stream; each event\'s data is the JSON of GET /live/:site\'s `devices` or `summary`', contentType: 'text/event-stream' } },
    }), async (c) => {
      const s = (await requireSite(ctx.db, c.req.valid('param').site)).id;
      return streamSSE(c, async (stream) => {
        let devices = '';
        let summary = '';
        let summaryAt = 0;
        let wroteAt = Date.now();
        while (!stream.aborted && !stream.closed) {
          try {
            const d = JSON.stringify(await liveDevices(ctx, s));
            if (d !== devices) {
              await stream.writeSSE({ event: 'devices', data: d });
              devices = d;
              wroteAt = Date.now();
            }
            if (Date.now() - summaryAt >= LIVE_SUMMARY_MS) {
              summaryAt = Date.now();
              const m = await liveSummary(ctx, s);
              const key = JSON.stringify({ ...m, at: undefined });
              if (key !== summary) {
                await stream.writeSSE({ event: 'summary', data: JSON.stringify(m) });
                summary = key;
                wroteAt = Date.now();
              }
            }
            if (Date.now() - wroteAt >= KEEPALIVE_MS) {
              await stream.write(': keepalive\n\n');
              wroteAt = Date.now();
            }
          } catch (err) {
            // The screen went away, or HQ is stopping: the browser reconnects to another node.
            if (!stream.aborted) ctx.log.debug({ site: s, err: (err as Error).message }, 'live stream ended');
            return;
          }
          // A device of this site speaking on this node wakes the loop at once.
          // A device of this site speaking on this node wakes the loop at once (after a short
          // pause, so a status and a reported mode sent together are one look).
          if (ctx.deviceSignal) {
            await ctx.deviceSignal.next(s, LIVE_DEVICES_MS);
            await stream.sleep(LIVE_COALESCE_MS);
          } else {
            await stream.sleep(LIVE_DEVICES_MS);
          }
        }
      });
    });
}
