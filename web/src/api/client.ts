import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

/**
 * The typed client of HQ's (or a site hub's) HTTP API. Its types are generated from the
 * server's OpenAPI document (web/scripts/api-types.ts), so a changed endpoint breaks this
 * app's typecheck. The app talks to nothing but this API, always on its own origin.
 */
export const API_BASE = new URL('api/v1', document.baseURI).pathname;

/** An error answer of the API: `{error: {code, message, issues?, details?}}` with its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { path: string; message: string }[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The request field the error is about (the first validation issue's path), if any. */
  get field(): string | undefined {
    const f = this.details.field;
    if (typeof f === 'string') return f;
    return this.issues[0]?.path || undefined;
  }
}

interface Hooks {
  token(): string | undefined;
  locale(): string;
  /** The server refused the token (expired, ended elsewhere). */
  onExpired(): void;
}
let hooks: Hooks = { token: () => undefined, locale: () => 'zh-CN', onExpired: () => {} };
export const setApiHooks = (h: Hooks) => { hooks = h; };

const auth: Middleware = {
  onRequest({ request }) {
    const t = hooks.token();
    if (t) request.headers.set('authorization', `Bearer ${t}`);
    request.headers.set('accept-language', hooks.locale());
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401 && hooks.token()) hooks.onExpired();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: API_BASE });
api.use(auth);

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of a call, or an ApiError thrown with the server's code and message. */
export async function call<T>(p: Promise<Result<T>>): Promise<NonNullable<T>> {
  let r: Result<T>;
  try {
    r = await p;
  } catch (err) {
    throw new ApiError(0, 'network', (err as Error).message);
  }
  if (r.response.ok && r.data !== undefined) return r.data as NonNullable<T>;
  const e = (r.error as { error?: { code?: string; message?: string; issues?: { path: string; message: string }[]; details?: Record<string, unknown> } } | undefined)?.error;
  throw new ApiError(r.response.status, e?.code ?? `http_${r.response.status}`, e?.message ?? r.response.statusText, e?.issues ?? [], e?.details ?? {});
}

/** A file answer (CSV, XLSX) as a Blob, with the same error handling. */
export async function download(path: string, query: Record<string, string | undefined>): Promise<{ blob: Blob; filename: string }> {
  const qs = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
  const headers: Record<string, string> = { 'accept-language': hooks.locale() };
  const t = hooks.token();
  if (t) headers.authorization = `Bearer ${t}`;
  const res = await fetch(`${API_BASE}${path}?${qs}`, { headers });
  if (res.status === 401 && t) hooks.onExpired();
  if (!res.ok) {
    const body = await res.json().catch(() => ({})) as { error?: { code?: string; message?: string } };
    throw new ApiError(res.status, body.error?.code ?? `http_${res.status}`, body.error?.message ?? res.statusText);
  }
  const cd = res.headers.get('content-disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  const plain = /filename="?([^";]+)"?/i.exec(cd);
  return { blob: await res.blob(), filename: star ? decodeURIComponent(star[1]!) : plain?.[1] ?? 'export' };
}

/** A fresh key for a write the API may see twice (a retried sale is the same sale). */
export const idempotencyKey = () => crypto.randomUUID();
