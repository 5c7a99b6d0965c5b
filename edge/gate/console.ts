import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { z } from 'zod';
import type { GateAgent } from './agent.ts';

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
export function consoleApp(agent: GateAgent) {
  const app = new Hono();
  app.post('/scan', async (c) => {
    const parsed = scanBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: { code: 'invalid_request', message: 'body must be {"code": string, "persons"?: number, "direction"?: "in"|"out", "kind"?: "barcode"|"card"|"idcard"}' } }, 400);
    const { code, kind, persons, direction } = parsed.data;
    return c.json(await agent.present(kind ? { kind, value: code } : code, { persons, direction }));
  });
  app.get('/status', (c) => c.json({
    device: agent.config.device, site: agent.config.site, lane: agent.config.lane, mode: agent.mode,
    link: agent.linkState, status: agent.status(), stats: agent.counters, lastDecision: agent.lastDecision ?? null,
  }));
  app.get('/', (c) => c.html(PAGE(agent.config.device)));
  return app;
}

export async function startConsole(agent: GateAgent, host: string, port: number): Promise<{ server: ServerType; port: number }> {
  const app = consoleApp(agent);
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
  });
  return { server, port: (server.address() as { port: number }).port };
}

const PAGE = (device: string) => `<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<title>闸机 ${device}</title><meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:18px system-ui,sans-serif;margin:2rem;max-width:40rem}input{width:100%;font-size:1rem;padding:.5rem}
#v{margin-top:1rem;padding:1.5rem;border-radius:.5rem;font-size:1.5rem}.ok{background:#c8f7c5}.no{background:#f9c6c6}</style>
<h1>闸机 ${device}</h1><form id="f"><input id="c" placeholder="扫码 / 输入票码 (scan or type a code)" autofocus></form>
<div id="v">等待扫码…</div><pre id="s"></pre>
<script>
const v=document.getElementById('v'),s=document.getElementById('s');
document.getElementById('f').onsubmit=async(e)=>{e.preventDefault();const c=document.getElementById('c');
const r=await (await fetch('scan',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({code:c.value})})).json();
v.className=r.admit?'ok':'no';v.textContent=(r.admit?'✔ ':'✘ ')+r.message+' ['+r.reason+']';c.value='';status()};
async function status(){s.textContent=JSON.stringify(await (await fetch('status')).json(),null,2)}status();setInterval(status,2000);
</script></html>`;
