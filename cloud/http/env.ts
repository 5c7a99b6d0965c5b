import type { DeviceIdentity } from '../../shared/auth/device.ts';
import type { AuthUser } from '../auth/roles.ts';
import type { IdempotencyClaim } from './idempotency.ts';

/**
 * What a request of HQ's app carries besides itself, typed: `new Hono<CloudEnv>()` and
 * `c.get('user')`. `user` is set by the policy middleware (auth/middleware.ts) when a valid
 * token came with the request, `device` by device auth on /sync.
 */
export interface CloudVariables {
  user?: AuthUser;
  device?: DeviceIdentity;
  /** Set by idempotency() when the request carries a key: the write claims it in its transaction. */
  idempotency?: IdempotencyClaim;
}
export type CloudEnv = { Variables: CloudVariables };

/** The env of a handler behind a `signedIn` route declaration: the user is there. */
export type SignedInEnv = { Variables: CloudVariables & { user: AuthUser } };
