import type { Component } from 'vue';
import { can, hasRole, type Role } from './session.ts';

export interface MenuItem {
  path: string;
  /** i18n key of the title. */
  title: string;
  /** The API call the screen cannot do without: shown only when the server's policy allows it. */
  needs: [method: string, path: string];
  component: () => Promise<Component>;
}
export interface MenuSection { key: string; title: string; roles: Role[]; items: MenuItem[] }

const sell = () => import('./views/window/Sell.vue');
const pickup = () => import('./views/window/Pickup.vue');
const orders = () => import('./views/window/Orders.vue');
const members = () => import('./views/window/Members.vue');
const shift = () => import('./views/window/Shift.vue');
const exitDesk = () => import('./views/window/ExitDesk.vue');
const shifts = () => import('./views/finance/Shifts.vue');
const payments = () => import('./views/finance/Payments.vue');
const reconciliation = () => import('./views/finance/Reconciliation.vue');
const accounts = () => import('./views/finance/Accounts.vue');
const stock = () => import('./views/finance/Stock.vue');
const audit = () => import('./views/finance/Audit.vue');
const reports = () => import('./views/finance/Reports.vue');
const live = () => import('./views/live/Dashboard.vue');
const catalog = () => import('./views/supervisor/Catalog.vue');
const lanes = () => import('./views/supervisor/Lanes.vue');
const users = () => import('./views/supervisor/Users.vue');
const auditLog = () => import('./views/supervisor/AuditLog.vue');
const shopsView = () => import('./views/supervisor/Shops.vue');
const lockersView = () => import('./views/supervisor/Lockers.vue');

/**
 * One menu per role (a user with several roles sees several); an item shows only when the
 * server's access table lets this user make the call the screen is built on.
 */
export const MENU: MenuSection[] = [
  {
    key: 'window', title: 'menu.window', roles: ['seller', 'administrator'], items: [
      { path: '/window/sell', title: 'menu.sell', needs: ['POST', '/orders'], component: sell },
      { path: '/window/pickup', title: 'menu.pickup', needs: ['POST', '/pickups'], component: pickup },
      { path: '/window/orders', title: 'menu.orders', needs: ['GET', '/orders'], component: orders },
      { path: '/window/members', title: 'menu.members', needs: ['POST', '/members/cards'], component: members },
      { path: '/window/shift', title: 'menu.shift', needs: ['POST', '/shifts'], component: shift },
      { path: '/window/exit', title: 'menu.exit', needs: ['POST', '/wallets'], component: exitDesk },
    ],
  },
  {
    key: 'finance', title: 'menu.finance', roles: ['finance', 'administrator'], items: [
      { path: '/finance/shifts', title: 'menu.shifts', needs: ['GET', '/shifts'], component: shifts },
      { path: '/finance/payments', title: 'menu.payments', needs: ['GET', '/payments'], component: payments },
      { path: '/finance/reconciliation', title: 'menu.reconciliation', needs: ['GET', '/reports'], component: reconciliation },
      { path: '/finance/accounts', title: 'menu.accounts', needs: ['GET', '/customer-accounts'], component: accounts },
      { path: '/finance/stock', title: 'menu.stock', needs: ['GET', '/stock'], component: stock },
      { path: '/finance/audit', title: 'menu.audit', needs: ['GET', '/audit/verify'], component: audit },
      { path: '/finance/reports', title: 'menu.reports', needs: ['GET', '/reports'], component: reports },
    ],
  },
  {
    key: 'system', title: 'menu.system', roles: ['supervisor', 'administrator'], items: [
      { path: '/live', title: 'menu.live', needs: ['GET', '/live'], component: live },
      { path: '/system/catalog', title: 'menu.catalog', needs: ['POST', '/ticket-types'], component: catalog },
      { path: '/system/lanes', title: 'menu.lanes', needs: ['PUT', '/sites/x/lanes/x'], component: lanes },
      { path: '/system/users', title: 'menu.users', needs: ['POST', '/users'], component: users },
      { path: '/system/audit', title: 'menu.auditLog', needs: ['GET', '/audit/log'], component: auditLog },
      { path: '/system/shops', title: 'menu.shops', needs: ['PUT', '/shops/x'], component: shopsView },
      { path: '/system/lockers', title: 'menu.lockers', needs: ['GET', '/lockers'], component: lockersView },
    ],
  },
  {
    key: 'supervisor', title: 'menu.supervisor', roles: ['supervisor'], items: [
      { path: '/finance/shifts', title: 'menu.shifts', needs: ['GET', '/shifts'], component: shifts },
      { path: '/finance/reports', title: 'menu.reports', needs: ['GET', '/reports'], component: reports },
    ],
  },
  {
    key: 'marketing', title: 'menu.marketing', roles: ['marketing'], items: [
      { path: '/window/members', title: 'menu.members', needs: ['POST', '/members/cards'], component: members },
      { path: '/finance/accounts', title: 'menu.accounts', needs: ['GET', '/customer-accounts'], component: accounts },
      { path: '/finance/reports', title: 'menu.reports', needs: ['GET', '/reports'], component: reports },
    ],
  },
];

export const allowed = (i: MenuItem) => can(i.needs[0], i.needs[1]);

/** The sections this user sees, each with the items the server allows (administrators see every section). */
export function menuFor(): MenuSection[] {
  return MENU
    .filter((s) => hasRole(...s.roles) || (hasRole('administrator') && s.roles.length === 0))
    .map((s) => ({ ...s, items: s.items.filter(allowed) }))
    .filter((s) => s.items.length > 0);
}

/** Every screen once, for the router. */
export const SCREENS: MenuItem[] = [...new Map(MENU.flatMap((s) => s.items).map((i) => [i.path, i])).values()];
