/** An agent's error table: code -> [HTTP status, zh-CN, en]. */
export type ErrorTable = Record<string, readonly [number, string, string]>;

/**
 * The error class of an agent's page API (kiosk, POS): a stable `code` the page turns into
 * its own words, the HTTP status from the table, a message in both languages for logs and
 * API callers, and the context the page may show.
 */
export function agentErrorClass<T extends ErrorTable>(name: string, table: T) {
  return class AgentError extends Error {
    readonly status: number;
    constructor(readonly code: keyof T & string, readonly context: Record<string, unknown> = {}, detail?: string) {
      const [status, zh, en] = table[code]!;
      super(`${zh} / ${en}${detail ? ` (${detail})` : ''}`);
      this.name = name;
      this.status = status;
    }
  };
}
