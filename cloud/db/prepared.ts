import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * Names HQ's parameterised statements on a Postgres connection (a hash of their text), so the
 * server parses, analyses and plans each once per connection and then only binds and runs it
 * (node-postgres skips the Parse of a name it has sent). Measured at peak (bench:peak, perf on
 * the server): parsing, analysis and planning were about a quarter of the server's CPU per
 * sale, and drizzle sends the same few texts for every sale. At most MAX_NAMED texts per
 * connection are named (a statement stays prepared as long as its connection lives);
 * statements without parameters (begin, commit, a function call) go as they are.
 * PG_NAMED_STATEMENTS=off sends every statement unnamed (for comparison).
 */
const MAX_NAMED = 300;

export function nameStatements(client: pg.PoolClient): void {
  const names = new Map<string, string>();
  const query = client.query.bind(client) as (...a: unknown[]) => unknown;
  (client as unknown as { query: (...a: unknown[]) => unknown }).query = (config: unknown, values?: unknown, cb?: unknown) => {
    const c = config as { text?: unknown; name?: unknown; values?: unknown[]; submit?: unknown } | null;
    const params = Array.isArray(values) ? values : c?.values;
    if (c && typeof c === 'object' && typeof c.text === 'string' && c.name === undefined && c.submit === undefined && params && params.length > 0) {
      let name = names.get(c.text);
      if (name === undefined && names.size < MAX_NAMED) names.set(c.text, (name = `tk_${createHash('sha1').update(c.text).digest('base64url')}`));
      if (name !== undefined) return query({ ...c, name }, values, cb);
    }
    return query(config, values, cb);
  };
}

/** Whether statements are named (nameStatements): on unless PG_NAMED_STATEMENTS=off. */
export const namedStatements = (): boolean => process.env.PG_NAMED_STATEMENTS !== 'off';
