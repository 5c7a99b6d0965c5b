import { and, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/open.ts';
import { loginFailures } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';

export type LockKind = 'account' | 'address';

export interface ThrottleLimits {
  /** Wrong passwords for one account within the window before it is locked. */
  accountMaxFailures: number;
  /** Wrong passwords from one address within the window before it is refused. */
  addressMaxFailures: number;
  windowMs: number;
  lockoutMs: number;
}

const keyOf = (kind: LockKind, subject: string) => `${kind}:${subject}`;

/**
 * Login rate limit with lockout, per account (the name typed, so unknown names count too and
 * a guesser learns nothing) and per client address, kept in the database so every HQ node
 * sharing it sees the same counts. A locked account or address is refused before its
 * password is even checked; a right password resets the account's count (not the
 * address's: one good login must not buy a guesser more tries). An administrator lifts a
 * lock (`DELETE /users/lockouts/:kind/:subject`, `npm run cli -- unlock`).
 */
export class LoginThrottle {
  constructor(private readonly db: Db, private readonly limits: ThrottleLimits) {}

  /** Throws 429 when the account or the address is locked now. */
  async check(username: string, address: string, now: number): Promise<void> {
    const keys = [keyOf('account', normal(username)), keyOf('address', address)];
    const locked = await this.db.select().from(loginFailures)
      .where(and(inArray(loginFailures.key, keys), gt(loginFailures.lockedUntil, new Date(now))));
    const account = locked.find((r) => r.kind === 'account');
    const row = account ?? locked[0];
    if (!row) return;
    const until = row.lockedUntil!;
    const details = { kind: row.kind, lockedUntil: until.toISOString(), retryAfterSeconds: Math.ceil((until.getTime() - now) / 1000) };
    if (account) throw new AppError('account_locked', '密码错误次数过多，账户已锁定，请稍后再试或联系管理员 / too many wrong passwords: the account is locked; try later or ask an administrator', 429, details);
    throw new AppError('too_many_attempts', '登录失败次数过多，请稍后再试 / too many failed logins from this address; try later', 429, details);
  }

  /** Counts a wrong password against both; locks whichever reached its limit. */
  async failed(username: string, address: string, now: number): Promise<void> {
    await this.count('account', normal(username), this.limits.accountMaxFailures, now);
    await this.count('address', address, this.limits.addressMaxFailures, now);
  }

  async succeeded(username: string): Promise<void> {
    await this.db.delete(loginFailures).where(eq(loginFailures.key, keyOf('account', normal(username))));
  }

  /** Accounts and addresses locked now. */
  async locked(now: number) {
    const rows = await this.db.select().from(loginFailures).where(gt(loginFailures.lockedUntil, new Date(now))).orderBy(desc(loginFailures.lastAt));
    return rows.map((r) => ({ kind: r.kind as LockKind, subject: r.subject, failures: r.failures, lockedUntil: r.lockedUntil!.toISOString(), lastAt: r.lastAt.toISOString() }));
  }

  /** Lifts a lock and forgets the count; false when there was nothing to lift. */
  async lift(kind: LockKind, subject: string): Promise<boolean> {
    const s = kind === 'account' ? normal(subject) : subject;
    const gone = await this.db.delete(loginFailures).where(eq(loginFailures.key, keyOf(kind, s))).returning({ key: loginFailures.key });
    return gone.length > 0;
  }

  /**
   * One upsert counts the failure (a count older than the window starts again at 1), so
   * concurrent wrong passwords are all counted; a second statement locks at the limit.
   */
  private async count(kind: LockKind, subject: string, max: number, now: number): Promise<void> {
    const at = new Date(now);
    const stale = new Date(now - this.limits.windowMs);
    const key = keyOf(kind, subject);
    const [row] = await this.db.insert(loginFailures).values({ key, kind, subject, failures: 1, windowStart: at, lastAt: at })
      .onConflictDoUpdate({
        target: loginFailures.key,
        set: {
          failures: sql`case when ${loginFailures.windowStart} <= ${stale.toISOString()}::timestamptz then 1 else ${loginFailures.failures} + 1 end`,
          windowStart: sql`case when ${loginFailures.windowStart} <= ${stale.toISOString()}::timestamptz then ${at.toISOString()}::timestamptz else ${loginFailures.windowStart} end`,
          lastAt: at,
        },
      })
      .returning();
    if (row && row.failures >= max) {
      await this.db.update(loginFailures).set({ lockedUntil: new Date(now + this.limits.lockoutMs) }).where(eq(loginFailures.key, key));
    }
  }
}

/** The name as the users table holds it: a different case is the same account. */
const normal = (username: string) => username.trim().toLowerCase().slice(0, 64);
