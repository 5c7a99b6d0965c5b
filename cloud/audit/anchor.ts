import { chainPending } from './chain.ts';
import { sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sql } from 'drizzle-orm';
import { generateIssuerKey, issuerKeyFromPem, issuerKeyToPem, type IssuerKey } from '../../shared/code/keys.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { Db } from '../db/open.ts';

/**
 * The chain's head, signed with a key the database does not hold and written where a
 * database editor cannot reach: whoever deletes the chain's tail or recomputes it after an
 * edit no longer matches the newest anchor (verify reports "tail deleted" / "chain
 * recomputed"). What stays possible is said in cloud/audit/README.md.
 */
export interface Anchor {
  v: 1;
  seq: number;
  hash: string;
  /** When it was signed (ms). */
  at: number;
  keyId: string;
  /** Ed25519 over anchorText(), base64. */
  sig: string;
}

const anchorText = (a: Pick<Anchor, 'seq' | 'hash' | 'at'>) => Buffer.from(`scenic-audit-anchor/1\n${a.seq}\n${a.hash}\n${a.at}`);

export function signAnchor(key: IssuerKey, head: { seq: number; hash: string }, at: number): Anchor {
  const body = { seq: head.seq, hash: head.hash, at };
  return { v: 1, ...body, keyId: key.keyId, sig: sign(null, anchorText(body), key.privateKey).toString('base64') };
}

export function anchorSigned(a: Anchor, keys: ReadonlyMap<string, KeyObject>): boolean {
  const pub = keys.get(a.keyId);
  if (!pub || typeof a.sig !== 'string') return false;
  try {
    return verify(null, anchorText(a), pub, Buffer.from(a.sig, 'base64'));
  } catch {
    return false;
  }
}

const KEY_FILE = 'audit-anchor.pem';

/** The anchor key: made on first boot beside HQ's other keys (mode 0600), never in the database. */
export function loadAnchorKey(keysDir: string): IssuerKey {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const path = join(keysDir, KEY_FILE);
  if (existsSync(path)) return issuerKeyFromPem(readFileSync(path, 'utf8'));
  const key = generateIssuerKey();
  writeFileSync(path, issuerKeyToPem(key), { mode: 0o600, flag: 'wx' });
  return key;
}

/**
 * Anchors as JSON lines in a file, appended and synced to disk one by one. Asynchronously: a
 * synchronous fsync held HQ's event loop (every request) for as long as the disk took, up to
 * 1.9 s at peak (bench:peak profile); the promise still settles only once the line is on disk,
 * and the anchorer takes it as written (and publishes it) only then.
 */
export class AnchorLog {
  constructor(readonly path: string) {}

  async append(a: Anchor): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const f = await open(this.path, 'a');
    try {
      await f.appendFile(`${JSON.stringify(a)}\n`);
      await f.sync();
    } finally {
      await f.close();
    }
  }

  /** Every well-formed line, oldest first (a torn last line after a crash is skipped). */
  read(): Anchor[] {
    if (!existsSync(this.path)) return [];
    const out: Anchor[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const a = JSON.parse(line) as Anchor;
        if (a && a.v === 1 && Number.isSafeInteger(a.seq) && typeof a.hash === 'string') out.push(a);
      } catch { /* torn line */ }
    }
    return out;
  }
}

export async function chainHead(db: Db): Promise<{ seq: number; hash: string } | undefined> {
  // Records committed but not yet chained (auditedTx chains just after commit) are chained first.
  await chainPending(db);
  const r = (await db.execute(sql`select seq, hash from audit_log order by seq desc limit 1`)) as unknown as { rows: { seq: string; hash: string }[] };
  const h = r.rows[0];
  return h && { seq: Number(h.seq), hash: h.hash };
}

/**
 * Signs the head every `intervalMs` when it moved, and on demand (anchorNow, stop). Each
 * anchor goes to the file log and to `publish` (the site hubs), where a database editor
 * cannot reach it.
 */
export class AuditAnchorer {
  private timer: NodeJS.Timeout | undefined;
  private last: Anchor | undefined;
  private running: Promise<Anchor | undefined> | undefined;

  constructor(private readonly o: {
    db: Db; key: IssuerKey; log: AnchorLog; intervalMs: number; now: () => number; logger: Logger;
    publish?: (a: Anchor) => void;
  }) {}

  get keys(): ReadonlyMap<string, KeyObject> { return new Map([[this.o.key.keyId, this.o.key.publicKey]]); }

  start(): void {
    this.last = this.o.log.read().at(-1);
    this.timer = setInterval(() => {
      this.anchorNow().catch((err: Error) => this.o.logger.error({ err: err.message }, 'could not anchor the audit chain'));
    }, this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.anchorNow().catch((err: Error) => this.o.logger.warn({ err: err.message }, 'could not anchor the audit chain at stop'));
  }

  /** Signs and writes the head if it moved since the last anchor; one at a time. */
  anchorNow(): Promise<Anchor | undefined> {
    const run = (this.running ?? Promise.resolve(undefined)).then(async () => {
      const head = await chainHead(this.o.db);
      if (!head || (this.last && this.last.seq === head.seq && this.last.hash === head.hash)) return this.last;
      const a = signAnchor(this.o.key, head, this.o.now());
      await this.o.log.append(a);
      this.last = a;
      this.o.publish?.(a);
      return a;
    });
    this.running = run.catch(() => undefined);
    return run;
  }

  anchors(): Anchor[] { return this.o.log.read(); }
}
