import { Agent, fetch as undiciFetch } from 'undici';

/**
 * A fetch that trusts `ca` (PEM) for HTTPS instead of the system's list: how a gate, kiosk or
 * hub checks an HQ or hub whose certificate a site CA signed. Without `ca`, the global fetch.
 * The connection pool lives as long as the returned function; `close()` ends it.
 */
export function fetchTrusting(ca: Buffer | undefined): typeof fetch & { close(): Promise<void> } {
  if (!ca) return Object.assign((...args: Parameters<typeof fetch>) => fetch(...args), { close: async () => undefined });
  const dispatcher = new Agent({ connect: { ca, rejectUnauthorized: true } });
  const f = (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as never, { ...(init as object), dispatcher } as never) as unknown as Promise<Response>;
  return Object.assign(f, { close: () => dispatcher.close() });
}
