import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signNotice } from '../../cloud/channels/notices.ts';

/**
 * A channel's webhook receiver on loopback (cloud/channels/notices.ts): checks each post's
 * signature with `secret`, fails the first `failures` posts (an error answer, then connections
 * dropped mid-way), and takes the rest: `events` in arrival order, `seen` the first body of each
 * event id (as a channel that takes each event once).
 */
export async function noticeReceiver(secret: string, failures = 0) {
  const seen = new Map<string, unknown>();
  const events: { id: string; body: any }[] = [];
  const log: { id: string; status: number }[] = [];
  let badSignatures = 0;
  const read = (req: IncomingMessage) => new Promise<string>((resolve) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => resolve(body));
  });
  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    const id = String(req.headers['x-notice-id']);
    if (req.headers['x-notice-signature'] !== signNotice(secret, Number(req.headers['x-notice-timestamp']), body)) {
      badSignatures++;
      res.writeHead(401).end();
      return;
    }
    if (log.length < failures) {
      log.push({ id, status: 503 });
      if (log.length === 1) res.writeHead(503).end('busy');
      else res.socket?.destroy();
      return;
    }
    log.push({ id, status: 200 });
    const parsed = JSON.parse(body);
    events.push({ id, body: parsed });
    if (!seen.has(id)) seen.set(id, parsed);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`, seen, events, log, badSignatures: () => badSignatures,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
