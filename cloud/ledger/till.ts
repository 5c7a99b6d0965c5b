import { and, eq, isNull } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { hasRole, type AuthUser } from '../auth/roles.ts';
import { shifts, users } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { appendAudit, type Tx } from '../office/audit.ts';

/**
 * The book a payment or a refund is in. Nothing is outside all of them:
 * - `shift`: a window seller's open shift, or a kiosk's shift of the day (`shiftId`);
 * - `office`: the finance office's own cash book (finance or the administrator, no shift);
 * - `channel`: a channel's settlement (OTA, web shop): the channel paid us, or owes it back.
 */
export type Book = 'shift' | 'office' | 'channel';
export interface Till { book: Book; shiftId: string | null }

/** Who moves the money, and into which book. */
export interface Actor {
  user: AuthUser | null;
  /** The audit log's actor: a username, `kiosk:<site>/<device>` or `channel:<code>`. */
  name: string;
  till: Till;
}

export async function openShiftOf(tx: Tx, userId: string) {
  const [s] = await tx.select().from(shifts).where(and(eq(shifts.sellerId, userId), isNull(shifts.closedAt)));
  return s;
}

/**
 * A staff member's till: their open shift; without one, finance and the administrator work
 * in the office's cash book; a seller must open a shift first.
 */
export async function staffTill(tx: Tx, user: AuthUser): Promise<Till> {
  const shift = await openShiftOf(tx, user.id);
  if (shift) return { book: 'shift', shiftId: shift.id };
  if (hasRole(user, 'finance', 'administrator')) return { book: 'office', shiftId: null };
  throw new AppError('no_open_shift', '请先开班 / open a shift first', 409);
}

export async function staffActor(tx: Tx, user: AuthUser): Promise<Actor> {
  return { user, name: user.username, till: await staffTill(tx, user) };
}

/** A kiosk's shift of one business day: made by its first sale of the day, one per (site, device, day). */
export async function kioskActor(tx: Tx, site: string, device: string, day: string, at: number): Promise<Actor> {
  const name = `kiosk:${site}/${device}`;
  const find = () => tx.select().from(shifts).where(and(eq(shifts.site, site), eq(shifts.device, device), eq(shifts.day, day)));
  let [s] = await find();
  if (!s) {
    const id = uuidv7();
    const made = await tx.insert(shifts).values({ id, site, device, day, floatFen: 0, openedAt: new Date(at) }).onConflictDoNothing().returning();
    if (made.length) await appendAudit(tx, { at, actor: name, action: 'shift.open', subject: id, body: { floatFen: 0, site, device, day } });
    [s] = await find();
  }
  if (s!.closedAt) throw new AppError('shift_closed', `自助机 ${device} 今日班次已结 / the kiosk's shift of ${day} is closed`, 409);
  return { user: null, name, till: { book: 'shift', shiftId: s!.id } };
}

export function channelActor(code: string): Actor {
  return { user: null, name: `channel:${code}`, till: { book: 'channel', shiftId: null } };
}

/**
 * For desks that take money without a window shift of their own (member cards at the
 * marketing desk): the user's open shift if they have one, else the office's cash book,
 * where the money is handed in.
 */
export async function deskActor(tx: Tx, userId: string | undefined): Promise<Actor> {
  const [u] = userId ? await tx.select().from(users).where(eq(users.id, userId)) : [];
  const user: AuthUser | null = u ? { id: u.id, username: u.username, displayName: u.displayName, roles: u.roles as AuthUser['roles'], permissions: [] } : null;
  const shift = user ? await openShiftOf(tx, user.id) : undefined;
  return { user, name: user?.username ?? 'system', till: shift ? { book: 'shift', shiftId: shift.id } : { book: 'office', shiftId: null } };
}
