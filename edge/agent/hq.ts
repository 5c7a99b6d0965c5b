import { deviceAuthHeader } from '../../shared/auth/device.ts';

/** HQ could not be reached in time (line down, HQ down, timeout, 5xx): work from the cache. */
export class HqUnreachable extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HqUnreachable';
  }
}

/** HQ answered and said no (4xx), with its error code. */
export class HqRefused extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
    this.name = 'HqRefused';
  }
}

export interface HqClientOptions {
  cloudUrl: string;
  username: string;
  token?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** JSON calls to HQ (or the site hub) as this agent (Basic auth with its device credential), each with a deadline. */
export class HqClient {
  /** When HQ last answered at all (UTC ms on the agent's clock). */
  lastContactAt: number | undefined;
  lastError: string | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly opts: HqClientOptions) {}

  /** Ends every call in flight (the agent is stopping). */
  close(): void {
    this.abort.abort();
  }

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = this.opts.timeoutMs): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.opts.token) headers.authorization = deviceAuthHeader(this.opts.username, this.opts.token);
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.abort.signal]);
    let res: Response;
    let text: string;
    try {
      res = await (this.opts.fetch ?? fetch)(this.opts.cloudUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
      // The body is read under the same deadline: a line that dies mid-answer must not hang a visitor.
      const aborted = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(new Error('aborted'));
        signal.addEventListener('abort', () => reject(new Error('timed out reading the answer')), { once: true });
      });
      aborted.catch(() => undefined);
      text = await Promise.race([res.text(), aborted]);
    } catch (err) {
      this.lastError = (err as Error).message;
      throw new HqUnreachable(`HQ unreachable: ${(err as Error).message}`, { cause: err });
    }
    this.lastContactAt = Date.now();
    let parsed: any;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      // A 4xx is an answer even without our JSON shape (a proxy's or an older HQ's 404).
      if (res.status >= 400 && res.status < 500) throw new HqRefused(res.status, 'http_error', `HQ answered ${res.status}`);
      throw new HqUnreachable(`HQ answered ${res.status} with a body that is not JSON`);
    }
    if (res.status >= 500) {
      this.lastError = `HTTP ${res.status}`;
      throw new HqUnreachable(`HQ answered ${res.status}: ${parsed?.error?.message ?? ''}`);
    }
    this.lastError = undefined;
    if (res.status >= 400) {
      throw new HqRefused(res.status, String(parsed?.error?.code ?? 'http_error'), String(parsed?.error?.message ?? `HTTP ${res.status}`), parsed?.error?.details);
    }
    return { status: res.status, body: parsed as T };
  }
}
