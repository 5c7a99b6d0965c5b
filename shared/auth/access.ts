/**
 * The matcher of the access policy (cloud/auth/policy.ts): an entry covers its prefix and
 * everything below it, the longest matching prefix wins, and a method an entry does not list
 * is not covered by it. HQ decides with it; the back office app uses the same function over
 * the table HQ sends (GET /auth/access) to show only what the server will allow.
 */
export interface AccessRule {
  prefix: string;
  methods: readonly string[] | '*';
}

export function ruleFor<R extends AccessRule>(rules: readonly R[], path: string, method: string): R | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  let best: R | undefined;
  for (const e of rules) {
    if (path !== e.prefix && !path.startsWith(`${e.prefix}/`)) continue;
    if (e.methods !== '*' && !e.methods.includes(m)) continue;
    if (!best || e.prefix.length > best.prefix.length) best = e;
  }
  return best;
}
