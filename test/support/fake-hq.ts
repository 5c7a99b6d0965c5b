import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { generateIssuerKey, rawPublicKey, type IssuerKey } from '../../shared/code/keys.ts';
import { encodeTicketCode, type TicketFacts } from '../../shared/code/ticket-code.ts';
import { changesChecksum } from '../../shared/sync/checksum.ts';
import type { Change, ChangeBatch, ChangeBody, TicketRow } from '../../shared/sync/messages.ts';

/** A ticket the fake HQ sold: its cache row and its signed code. */
export interface FakeTicket { row: TicketRow; code: string }

/**
 * A tiny stand-in for HQ's change-log endpoint (GET /api/v1/sync/changes), on 127.0.0.1:0.
 * It serves its own log honestly, unless the test queues a one-off answer: a damaged batch,
 * a reset, an error page. Signs codes with its own issuer key, announced in the log.
 */
export class FakeHq {
  readonly key: IssuerKey = generateIssuerKey();
  logId = 'fake-log-1';
  changes: Change[] = [];
  readonly requests: { since: number; log: string }[] = [];
  private readonly oneOff: ((since: number) => unknown)[] = [];
  private server: ServerType | undefined;
  url = '';

  /** Appends to the log, numbering from the last seq. */
  add(...bodies: ChangeBody[]): void {
    for (const b of bodies) this.changes.push({ ...b, seq: (this.changes.at(-1)?.seq ?? 0) + 1 } as Change);
  }

  get head(): number { return this.changes.at(-1)?.seq ?? 0; }

  keyChange(): ChangeBody {
    return { kind: 'key', keyId: this.key.keyId, publicKey: rawPublicKey(this.key.publicKey).toString('hex') };
  }

  /** A ticket valid from an hour ago for a day; `entries` 0 = unlimited. */
  ticket(id: string, opts: { persons?: number; entries?: number; typeId?: number } = {}): FakeTicket {
    const now = Math.floor(Date.now() / 1000);
    const facts: TicketFacts = { ticketId: id, typeId: opts.typeId ?? 1, validFrom: now - 3600, validUntil: now + 86_400, persons: opts.persons ?? 1, entries: opts.entries ?? 1 };
    const { ticketId, ...rest } = facts;
    return { row: { id: ticketId, ...rest }, code: encodeTicketCode(facts, this.key) };
  }

  /** What HQ would answer: everything after `since`, in one page. */
  page(since: number): ChangeBatch {
    const changes = this.changes.filter((c) => c.seq > since);
    return { log: this.logId, since, next: changes.at(-1)?.seq ?? since, more: false, serverTime: Date.now(), changes, checksum: changesChecksum(changes) };
  }

  /** The next request gets this instead (a JSON body, or a Response for anything else). */
  answerOnce(answer: (since: number) => unknown): void {
    this.oneOff.push(answer);
  }

  async start(): Promise<void> {
    const app = new Hono().get('/api/v1/sync/changes', (c) => {
      const since = Number(c.req.query('since') ?? 0);
      this.requests.push({ since, log: c.req.query('log') ?? '' });
      const answer = this.oneOff.shift();
      const body = answer ? answer(since) : this.page(since);
      return body instanceof Response ? body : c.json(body as object);
    });
    this.server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => {
      s.close(() => resolve());
      (s as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  }
}
