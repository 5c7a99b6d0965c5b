import type { Agent } from 'undici';

/**
 * A fetch that trusts `ca` (PEM) for HTTPS instead of the system's list: how a gate, kiosk or
 * hub checks an HQ or hub whose certificate a site CA signed. Without `ca`, the global fetch.
 * The connection pool lives as long as the returned function; `close()` ends it.
 *
 * undici is imported on the first request that needs it: loaded at start it is ~20 MB of a
 * gate's RSS (measured by bench:gate), spent even where HQ has a public certificate.
 */
export function fetchTrusting(ca: Buffer | undefined): typeof fetch & { close(): Promise<void> } {
  if (!ca) return Object.assign((...args: Parameters<typeof fetch>) => fetch(...args), { close: async () => undefined });
  let pool: Promise<{ dispatcher: Agent; fetch: typeof import('undici').fetch }> | undefined;
  const open = () => (pool ??= import('undici').then(({ Agent, fetch }) => ({ dispatcher: new Agent({ connect: { ca, rejectUnauthorized: true } }), fetch })));
  const f = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const { dispatcher, fetch: undiciFetch } = await open();
    return undiciFetch(input as never, { ...(init as object), dispatcher } as never) as unknown as Promise<Response>;
  };
  return Object.assign(f, { close: async () => { if (pool) await (await pool).dispatcher.close(); } });
}
