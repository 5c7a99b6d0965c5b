import { reactive } from 'vue';
import { ruleFor, type AccessRule } from '../../shared/auth/access.ts';
import { api, call, setApiHooks } from './api/client.ts';
import { i18n } from './i18n/index.ts';

export type Role = 'administrator' | 'finance' | 'marketing' | 'seller' | 'supervisor';
export interface SessionUser { id: string; username: string; displayName: string; roles: Role[]; permissions: string[] }
type Rule = AccessRule & { allowed: boolean };

const KEY = 'tk.session';

/**
 * Who is logged in on this browser tab: the token (kept in sessionStorage, so a reload keeps
 * the session and closing the browser ends it), the user, and the server's access table.
 */
export const session = reactive({
  token: undefined as string | undefined,
  expiresAt: 0,
  user: undefined as SessionUser | undefined,
  rules: [] as Rule[],
  /** Why the last session ended without a logout: shown on the login page. */
  ended: undefined as 'expired' | undefined,
});

let timer: ReturnType<typeof setTimeout> | undefined;

function arm() {
  clearTimeout(timer);
  if (!session.token) return;
  // setTimeout holds at most ~24.8 days; tokens last hours.
  timer = setTimeout(expire, Math.max(0, Math.min(session.expiresAt - Date.now(), 2 ** 31 - 1)));
}

function clear() {
  clearTimeout(timer);
  session.token = undefined;
  session.user = undefined;
  session.rules = [];
  session.expiresAt = 0;
  sessionStorage.removeItem(KEY);
}

export function expire() {
  if (!session.token) return;
  clear();
  session.ended = 'expired';
  onEnd();
}

let onEnd = () => {};
/** What to do when a session ends (the router goes to the login page). */
export const onSessionEnd = (f: () => void) => { onEnd = f; };

setApiHooks({ token: () => session.token, locale: () => i18n.global.locale.value, onExpired: expire });

async function loadAccess() {
  const [me, access] = await Promise.all([call(api.GET('/auth/me')), call(api.GET('/auth/access'))]);
  session.user = me as SessionUser;
  session.rules = access.rules as Rule[];
}

export async function login(username: string, password: string) {
  const r = await call(api.POST('/auth/login', { body: { username, password } }));
  session.token = r.token;
  session.expiresAt = Date.parse(r.expiresAt);
  session.ended = undefined;
  await loadAccess();
  sessionStorage.setItem(KEY, JSON.stringify({ token: session.token, expiresAt: session.expiresAt }));
  arm();
}

export async function logout() {
  const token = session.token;
  clear();
  if (token) await api.POST('/auth/logout', { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
  onEnd();
}

/** Picks up the session of this tab after a reload; false when there is none (or it ended). */
export async function restore(): Promise<boolean> {
  if (session.user) return true;
  const saved = sessionStorage.getItem(KEY);
  if (!saved) return false;
  const s = JSON.parse(saved) as { token: string; expiresAt: number };
  if (s.expiresAt <= Date.now()) {
    sessionStorage.removeItem(KEY);
    session.ended = 'expired';
    return false;
  }
  session.token = s.token;
  session.expiresAt = s.expiresAt;
  try {
    await loadAccess();
  } catch {
    clear();
    return false;
  }
  arm();
  return true;
}

/** Whether the server's policy lets this user call `method path` (path under /api/v1). */
export function can(method: string, path: string): boolean {
  return ruleFor(session.rules, path, method)?.allowed ?? false;
}

export const hasRole = (...roles: Role[]) => session.user?.roles.some((r) => roles.includes(r)) ?? false;

/** Refunds need the `refund` permission unless the role is finance or administrator (cloud/office/orders/after-sale.ts). */
export const mayRefund = () => can('POST', '/orders/x/refunds') && (hasRole('finance', 'administrator') || (session.user?.permissions.includes('refund') ?? false));
