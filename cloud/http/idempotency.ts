import { createHash } from 'node:crypto';
import { writeAtEnd } from '../db/at-end.ts';
import { and, eq } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import type { CloudContext } from '../context.ts';
import { idempotencyKeys } from '../db/schema/index.ts';
import { canonical, type Tx } from '../audit/chain.ts';
import type { CloudEnv } from './env.ts';
import { AppError } from './errors.ts';

/**
 * Idempotency-Key for every write a client may retry: one middleware over one table
 * (`idempotency_keys`), used as `.post('/', idempotency(ctx), endpoint({...}), handler)`.
 *
 * - A key belongs to its principal (the signed-in user, the device, the channel): `scope`.
 *   The request is its method, path, principal and body (canonical JSON); the same key with
 *   another request is refused (409 idempotency_conflict).
 * - The write records the key itself, in its own transaction: the handler hands
 *   `c.get('idempotency')` to its service, which calls `claim(tx, ref)` inside the
 *   transaction that writes (once it is sure to write). The key therefore exists exactly when
 *   the write was committed:
 *   - a write that failed (rolled back, 4xx/5xx before the claim) leaves no key behind: a retry
 *     runs again;
 *   - two requests with one key at once: the second one's claim waits on the first's row
 *     (a unique key), finds it taken, rolls back, and answers what the first answered;
 *   - the answer (status, body) is stored after the commit, or, when the service hands it to
 *     `claim` (it knows its answer by then: a booking, a payment, a window order), with the
 *     key in the write's own transaction: no update and no commit of its own after the write
 *     (two round trips and a commit's fsync less per sale at peak, test/bench/peak.ts). A key
 *     committed with no answer (the process died before storing it): a retry does not write
 *     again, it rebuilds the answer from `ref` (what the write made: an order id ...) with the
 *     route's `replay`, or says 409 idempotency_in_doubt with the ref when the route has none.
 * - A replayed answer carries the header `Idempotent-Replayed: true`.
 * - A request that never claims (a read, a refusal, a payment still pending) stores nothing.
 */
export interface IdempotencyClaim {
  readonly key: string;
  readonly scope: string;
  /**
   * Records the key in the write's transaction; `ref` is what the answer can be rebuilt from;
   * `answer`, when given, is what the route will send (its status and JSON body): it is stored
   * with the key, and the middleware then stores nothing after the commit.
   */
  claim(tx: Tx, ref?: Record<string, unknown>, answer?: IdempotentAnswer): Promise<void>;
}

/** A route's answer as the service builds it: the status and the body it sends as JSON. */
export interface IdempotentAnswer { status: number; body: unknown }

export interface IdempotencyOptions<E extends CloudEnv = CloudEnv> {
  /** A write without a key is refused (the booking API); default: the key is optional. */
  required?: boolean;
  /** Where the key is when it is not the Idempotency-Key header (the kiosk's attempt id in its body). */
  key?: (c: Context<E>) => string | undefined | Promise<string | undefined>;
  /** Who the key belongs to; default the channel, the device or the user of the request. */
  principal?: (c: Context<E>) => string;
  /** The answer of a committed write whose stored answer was lost, rebuilt from its ref. */
  replay?: (c: Context<E>, ref: Record<string, unknown>) => Promise<Response>;
  /** How long a retry waits for the answer of a write committed by another request (ms). */
  waitMs?: number;
  /**
   * The key is looked up after the handler, only when it did not commit its claim, instead of
   * before every request (one round trip less per write at peak, bench:peak). Only for a
   * route whose every write claims in the transaction that writes it: a retry then runs again
   * and rolls back at its claim (the key is taken), or writes nothing (a refusal, a booking
   * paid already), and is answered from the key as before. Its answer is the same; its cost
   * is a retry's, not a first request's.
   */
  lookupAfter?: boolean;
}

const HEADER = 'Idempotency-Key';
/** Marks the middleware, for the OpenAPI document (cloud/openapi/document.ts) to describe the header. */
export const IDEMPOTENCY = Symbol.for('scenic.idempotency');

/** Whether a route's handler is idempotency() and whether it requires the key. */
export function idempotencyOf(handler: unknown): 'optional' | 'required' | undefined {
  return typeof handler === 'function' ? (handler as { [IDEMPOTENCY]?: 'optional' | 'required' })[IDEMPOTENCY] : undefined;
}
export const REPLAYED = 'Idempotent-Replayed';

type Row = typeof idempotencyKeys.$inferSelect;

function defaultPrincipal(c: Context): string {
  const v = c.var as { user?: { id: string }; device?: { site: string; device: string }; channel?: { id: number } };
  if (v.channel) return `channel:${v.channel.id}`;
  if (v.device) return `device:${v.device.site}/${v.device.device}`;
  if (v.user) return `user:${v.user.id}`;
  return 'anonymous';
}

async function requestHash(c: Context, scope: string): Promise<string> {
  const text = c.req.raw.body === null ? '' : await c.req.text();
  let body = text;
  try {
    body = text === '' ? '' : canonical(JSON.parse(text));
  } catch {
    // Not JSON: the bytes are the request (endpoint() refuses it anyway).
  }
  return createHash('sha256').update(`${c.req.method}\n${c.req.path}\n${scope}\n${body}`).digest('hex');
}

/** A unique violation on the key: another request with it committed first. */
function isKeyTaken(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown; constraint?: unknown } | undefined, i = 0; e && i < 4; e = e.cause as typeof e, i++) {
    if (e.code === '23505' && /idempotency_keys/.test(`${String(e.constraint ?? '')} ${String(e.message ?? '')}`)) return true;
  }
  return false;
}

const IN_PROGRESS = 'idempotency_in_progress';

export function idempotency<E extends CloudEnv = CloudEnv>(ctx: CloudContext, opts: IdempotencyOptions<E> = {}): MiddlewareHandler<E> {
  const waitMs = opts.waitMs ?? 5_000;
  const find = async (scope: string, key: string): Promise<Row | undefined> =>
    (await ctx.db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key))))[0];

  /** The answer to a request whose key is known: refused, replayed, or rebuilt. */
  async function answer(c: Context<E>, row: Row, hash: string): Promise<Response> {
    if (row.requestHash !== hash) {
      throw new AppError('idempotency_conflict', '此幂等键已用于另一个请求 / this Idempotency-Key was already used for a different request', 409, { key: row.key });
    }
    // Committed, answer not stored yet: the first request is finishing (or died).
    for (const t0 = Date.now(); row.status === null && Date.now() - t0 < waitMs;) {
      await new Promise((r) => setTimeout(r, 25));
      row = (await find(row.scope, row.key)) ?? row;
    }
    if (row.status !== null) {
      const body = row.response as { json?: unknown; text?: string; contentType?: string } | null;
      const headers = { 'content-type': body?.contentType ?? 'application/json', [REPLAYED]: 'true' };
      return new Response(body && 'text' in body ? body.text! : JSON.stringify(body?.json ?? null), { status: row.status, headers });
    }
    const ref = (row.ref ?? {}) as Record<string, unknown>;
    if (!opts.replay) {
      throw new AppError('idempotency_in_doubt', '该请求已执行，但结果未能保存，请查询结果 / the request was carried out but its answer was lost: look the result up', 409, { key: row.key, ...ref });
    }
    const res = await opts.replay(c, ref);
    await store(row.scope, row.key, res);
    res.headers.set(REPLAYED, 'true');
    return res;
  }

  async function store(scope: string, key: string, res: Response) {
    const type = res.headers.get('content-type') ?? 'application/json';
    const text = await res.clone().text();
    const response = /json/.test(type) ? { json: text === '' ? null : JSON.parse(text) } : { text, contentType: type };
    await ctx.db.update(idempotencyKeys).set({ status: res.status, response })
      .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
  }

  const mw: MiddlewareHandler<E> = async (c, next) => {
    const key = opts.key ? await opts.key(c) : c.req.header(HEADER);
    if (key === undefined) {
      if (opts.required) throw new AppError('idempotency_key_required', '写操作须带幂等键 (Idempotency-Key) / every write needs an Idempotency-Key header', 400);
      return next();
    }
    if (!/^[\x21-\x7e]{1,128}$/.test(key)) throw new AppError('invalid_idempotency_key', 'Idempotency-Key must be 1-128 printable characters');
    const scope = opts.principal ? opts.principal(c) : defaultPrincipal(c as unknown as Context);
    const hash = await requestHash(c, scope);
    const prior = opts.lookupAfter ? undefined : await find(scope, key);
    if (prior) {
      c.res = await answer(c, prior, hash);
      return;
    }
    let claimed = false;
    let storedStatus: number | undefined;
    const claim: IdempotencyClaim = {
      key, scope,
      async claim(tx, ref, answer) {
        try {
          // Sent with the sale's last statement where the transaction holds writes
          // (cloud/db/at-end.ts): a key taken meanwhile then fails that statement (below).
          await writeAtEnd(tx, tx.insert(idempotencyKeys).values({
            scope, key, requestHash: hash, ref: ref ?? null, createdAt: new Date(ctx.now()),
            ...(answer ? { status: answer.status, response: { json: answer.body ?? null } } : {}),
          }));
        } catch (err) {
          if (isKeyTaken(err)) throw new AppError('idempotency_in_progress', '同一幂等键的请求正在处理 / a request with this Idempotency-Key is being carried out', 409, { key });
          throw err;
        }
        claimed = true;
        storedStatus = answer?.status;
      },
    };
    c.set('idempotency', claim);
    await next();
    // The key taken by another request: found at the claim, or where the claim was held, at the statement it went with.
    if ((c.error instanceof AppError && c.error.code === IN_PROGRESS) || (claimed && isKeyTaken(c.error))) {
      // Lost the race: the other request committed; answer as it did.
      const row = await find(scope, key);
      if (row) c.res = await answer(c, row, hash);
      return;
    }
    // Looked up after (lookupAfter): a request that did not commit its claim may be a retry of one that did.
    if (opts.lookupAfter && (!claimed || c.error || c.res.status >= 300)) {
      const row = await find(scope, key);
      if (row) {
        c.res = await answer(c, row, hash);
        return;
      }
    }
    // Stored only when the write committed its key (a rolled-back claim left no row), and not
    // again when the claim stored it (a route that sends another status than the one its
    // service claimed with has its real answer stored over it).
    if (claimed && c.res.status < 300 && c.res.status !== storedStatus) await store(scope, key, c.res);
  };
  return Object.assign(mw, { [IDEMPOTENCY]: opts.required ? 'required' as const : 'optional' as const });
}
