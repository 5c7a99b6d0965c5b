import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { z } from 'zod';
import type { GateAgent } from './agent.ts';
import { consolePage } from './console-page.ts';

const scanBody = z.object({
  code: z.string().max(20_000),
  persons: z.number().int().min(1).max(1000).optional(),
  direction: z.enum(['in', 'out']).optional(),
  /** What kind of reader saw it; absent: classify the text (QR, barcode, card UID, ID number). */
  kind: z.enum(['barcode', 'card', 'idcard']).optional(),
});

/**
 * The gate's local console on loopback: present a credential as if scanned, and read the
 * lane's status. Used by the CLI, the simulated site and tests; never exposed off the box.
 */
export function consoleApp(agent: GateAgent, ports: ConsolePorts = {}) {
  const app = new Hono();
  app.post('/scan', async (c) => {
    const parsed = scanBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: { code: 'invalid_request', message: 'body must be {"code": string, "persons"?: number, "direction"?: "in"|"out", "kind"?: "barcode"|"card"|"idcard"}' } }, 400);
    const { code, kind, persons, direction } = parsed.data;
    return c.json(await agent.present(kind ? { kind, value: code } : code, { persons, direction }));
  });
  // Entry by face alone (1:N): the camera looks now. A call button or presence sensor at the lane triggers it.
  app.post('/face', async (c) => {
    const parsed = z.object({ direction: z.enum(['in', 'out']).optional() }).safeParse(await c.req.json().catch(() => ({})));
    if (!parsed.success) return c.json({ error: { code: 'invalid_request', message: 'body must be {} or {"direction": "in"|"out"}' } }, 400);
    return c.json(await agent.presentFace(parsed.data));
  });
  app.get('/status', (c) => c.json({
    device: agent.config.device, site: agent.config.site, lane: agent.config.lane, mode: agent.mode,
    link: agent.linkState, status: agent.status(), stats: agent.counters, lastDecision: agent.lastDecision ?? null,
  }));
  // What the lane's devices show, where the driver can tell (the simulators can).
  app.get('/devices', (c) => c.json(deviceView(ports)));
  app.get('/', (c) => c.html(consolePage(agent.config.device, c.req.query('lang') === 'en' ? 'en' : agent.config.locale)));
  return app;
}

/** The lane's devices as the console shows them; a driver that cannot report its state is left out. */
export interface ConsolePorts {
  indicator?: unknown;
  display?: unknown;
  voice?: unknown;
  turnstile?: unknown;
}

function deviceView(ports: ConsolePorts) {
  const has = <K extends string>(o: unknown, k: K): o is Record<K, unknown> => typeof o === 'object' && o !== null && k in o;
  const last = has(ports.turnstile, 'history') && Array.isArray(ports.turnstile.history) ? ports.turnstile.history.at(-1) as { op?: string; direction?: string; persons?: number; passed?: number } | undefined : undefined;
  return {
    indicator: has(ports.indicator, 'state') ? ports.indicator.state : undefined,
    display: has(ports.display, 'lines') && has(ports.display, 'tone') ? { lines: ports.display.lines, tone: ports.display.tone } : undefined,
    voice: has(ports.voice, 'history') && Array.isArray(ports.voice.history) ? lastSaid(ports.voice.history) : undefined,
    turnstile: has(ports.turnstile, 'state') ? { ...(ports.turnstile.state as object), last } : undefined,
  };
}

export async function startConsole(agent: GateAgent, host: string, port: number, ports: ConsolePorts = {}): Promise<{ server: ServerType; port: number }> {
  const app = consoleApp(agent, ports);
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
  });
  return { server, port: (server.address() as { port: number }).port };
}

/** The last prompt a voice said (its text, else its id), and whether it is still speaking. */
function lastSaid(history: unknown[]): { prompt: string; speaking: boolean } | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const r = history[i] as { op?: string; id?: string; text?: string };
    if (r.op === 'say') return { prompt: r.text ?? r.id ?? '', speaking: !history.slice(i + 1).some((x) => (x as { op?: string }).op === 'end') };
  }
  return undefined;
}
