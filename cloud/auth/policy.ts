import { ruleFor } from '../../shared/auth/access.ts';
import type { Role } from './roles.ts';

/**
 * Who may call what, in one table. Paths are relative to /api/v1; an entry covers its prefix
 * and everything below it, the longest matching prefix wins, and a request whose path or
 * method has no entry is refused (403), so a new route is closed until it is listed here.
 *
 * access:
 *   'public'  no credentials (login, health)
 *   'device'  device auth: gates, hubs and kiosks call these; they get device credentials of
 *             their own, checked by the device endpoints, not user tokens
 *   'channel' OTA / online channels authenticate with their per-channel API key, checked by
 *             the channel module; a user token, if sent, is resolved too (channel admin)
 *   Role[]    a logged-in user holding one of these roles
 */
export type Access = 'public' | 'device' | 'channel' | readonly Role[];
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export interface PolicyEntry {
  prefix: string;
  methods: readonly Method[] | '*';
  access: Access;
}

const ADMIN = ['administrator'] as const;
const ALL: readonly Role[] = ['administrator', 'finance', 'marketing', 'seller', 'supervisor'];
const OFFICE: readonly Role[] = ['administrator', 'finance', 'seller', 'supervisor'];
const WRITE: Method[] = ['POST', 'PUT', 'PATCH', 'DELETE'];
const CATALOG: readonly Role[] = ['administrator', 'supervisor'];

export const POLICY: readonly PolicyEntry[] = [
  { prefix: '/health', methods: ['GET'], access: 'public' },
  { prefix: '/openapi.json', methods: ['GET'], access: 'public' },
  { prefix: '/auth/login', methods: ['POST'], access: 'public' },
  { prefix: '/auth', methods: '*', access: ALL },
  // Finance and supervisors pick sellers from the list when they search orders and shifts.
  // (Of two entries for one prefix, the first listed wins.)
  { prefix: '/users', methods: ['GET'], access: ['administrator', 'finance', 'supervisor'] },
  { prefix: '/users', methods: '*', access: ADMIN },

  // Device-facing: device auth (change log pulls, digests, upload streams).
  { prefix: '/sync', methods: '*', access: 'device' },

  // Catalog: everyone reads, the administrator writes.
  // Supervisors keep the catalog too (ticket types, the price calendar, discounts, capacity).
  { prefix: '/ticket-types', methods: ['GET'], access: ALL },
  { prefix: '/ticket-types', methods: WRITE, access: CATALOG },
  { prefix: '/price-rules', methods: ['GET'], access: ALL },
  { prefix: '/price-rules', methods: WRITE, access: CATALOG },
  { prefix: '/price-calendar', methods: ['GET'], access: ALL },
  { prefix: '/price-calendar/preview', methods: ['POST'], access: CATALOG },
  { prefix: '/holidays', methods: ['GET'], access: ALL },
  { prefix: '/holidays', methods: WRITE, access: CATALOG },
  { prefix: '/discounts', methods: ['GET'], access: ALL },
  { prefix: '/discounts', methods: WRITE, access: CATALOG },
  { prefix: '/capacity', methods: ['GET'], access: OFFICE },
  // Capacity and time slots (cloud/capacity): the public status needs no login (display boards, website).
  { prefix: '/venue-capacity', methods: ['GET'], access: ALL },
  { prefix: '/venue-capacity', methods: WRITE, access: ADMIN },
  { prefix: '/slots', methods: ['GET'], access: ALL },
  { prefix: '/slots', methods: WRITE, access: ADMIN },
  { prefix: '/public/capacity', methods: ['GET'], access: 'public' },
  { prefix: '/capacity', methods: WRITE, access: CATALOG },
  { prefix: '/sellers', methods: ['GET'], access: ['administrator', 'finance', 'supervisor'] },
  { prefix: '/sellers', methods: WRITE, access: ADMIN },

  // Window sales. Which types and discounts a seller may sell, and refunds, are checked by
  // the office services per user, not here.
  // The plain sale (no payment, no shift) is the administrator's; windows sell through /orders.
  { prefix: '/sales', methods: ['POST'], access: ['administrator'] },
  { prefix: '/sales', methods: ['GET'], access: OFFICE },
  { prefix: '/orders', methods: ['GET'], access: OFFICE },
  { prefix: '/orders', methods: WRITE, access: ['administrator', 'finance', 'seller'] },
  { prefix: '/payments', methods: ['GET'], access: OFFICE },
  { prefix: '/payments', methods: '*', access: ['administrator', 'finance', 'seller'] },
  // Lists of money: a seller sees only their own rows (cloud/search), finance all.
  { prefix: '/refunds', methods: ['GET'], access: OFFICE },
  { prefix: '/quote', methods: ['POST'], access: OFFICE },
  { prefix: '/tickets', methods: ['GET'], access: OFFICE },
  { prefix: '/tickets', methods: WRITE, access: ['administrator', 'seller', 'supervisor'] },
  { prefix: '/customer-accounts', methods: ['GET'], access: ['administrator', 'finance', 'marketing', 'seller'] },
  { prefix: '/customer-accounts', methods: WRITE, access: ['administrator', 'finance'] },
  { prefix: '/vouchers', methods: ['GET'], access: ['administrator', 'finance', 'marketing', 'seller'] },
  { prefix: '/vouchers', methods: WRITE, access: ['administrator', 'finance', 'marketing'] },
  { prefix: '/stock', methods: ['GET'], access: OFFICE },
  { prefix: '/stock', methods: WRITE, access: ['administrator', 'finance'] },
  { prefix: '/shifts', methods: ['GET'], access: ['administrator', 'finance', 'seller', 'supervisor'] },
  { prefix: '/shifts', methods: WRITE, access: ['administrator', 'finance', 'seller'] },
  // Supervisors read the audit chain (and verify it) too.
  { prefix: '/audit', methods: ['GET'], access: ['administrator', 'finance', 'supervisor'] },
  { prefix: '/audit', methods: '*', access: ['administrator', 'finance'] },

  // Operations at the sites.
  { prefix: '/entries', methods: ['GET'], access: ['administrator', 'finance', 'supervisor'] },
  { prefix: '/over-use', methods: ['GET'], access: ['administrator', 'finance', 'supervisor'] },
  { prefix: '/devices', methods: ['GET'], access: ['administrator', 'supervisor'] },
  { prefix: '/device-streams', methods: ['GET'], access: ['administrator', 'supervisor'] },
  { prefix: '/device-credentials', methods: ['POST'], access: ADMIN },
  { prefix: '/sites', methods: '*', access: ['administrator', 'supervisor'] },
  { prefix: '/commands', methods: ['GET'], access: ['administrator', 'supervisor'] },
  // The control room's screen (and its event stream).
  { prefix: '/live', methods: ['GET'], access: ['administrator', 'supervisor'] },
  // Capacity alarms are acknowledged from the same screen.
  { prefix: '/live', methods: ['POST'], access: ['administrator', 'supervisor'] },
  { prefix: '/hub-leases', methods: ['GET'], access: ['administrator', 'finance', 'supervisor'] },

  // Other modules.
  { prefix: '/templates', methods: '*', access: ['administrator', 'supervisor'] },
  { prefix: '/faces', methods: '*', access: ['administrator', 'seller'] },
  { prefix: '/customers', methods: ['GET'], access: ['administrator', 'finance', 'marketing', 'seller'] },
  { prefix: '/customers', methods: WRITE, access: ['administrator', 'marketing'] },
  // Guides' visits are recorded at the window; rebate payouts (checked in the route) are finance's.
  { prefix: '/customers/guides', methods: ['POST'], access: ['administrator', 'finance', 'marketing', 'seller'] },
  { prefix: '/members', methods: '*', access: ['administrator', 'marketing', 'seller'] },
  // Visitor origin: windows record it, the office reads the counts.
  { prefix: '/origin', methods: ['POST'], access: ['administrator', 'marketing', 'seller'] },
  { prefix: '/origin', methods: ['GET'], access: ['administrator', 'finance', 'marketing', 'supervisor'] },
  { prefix: '/channels', methods: '*', access: 'channel' },
  { prefix: '/channels/admin', methods: '*', access: ['administrator', 'marketing'] },
  // Pickup of online / OTA bookings at a window; kiosks post theirs under /sync/pickups (device).
  { prefix: '/pickups', methods: '*', access: ['administrator', 'seller'] },
  // Marketing reads the sales reports (by channel, by customer, visitor origin) too.
  { prefix: '/reports', methods: ['GET'], access: ['administrator', 'finance', 'marketing', 'supervisor'] },
  { prefix: '/reports', methods: '*', access: ['administrator', 'finance', 'supervisor'] },
  // Kiosk sales paid and not issued (cloud/kiosk/owed.ts): finance refunds them or issues the tickets.
  { prefix: '/kiosk-sales', methods: ['GET'], access: ['administrator', 'finance', 'supervisor'] },
  { prefix: '/kiosk-sales', methods: ['POST'], access: ['administrator', 'finance'] },
  // Water park one-card (cloud/wallet): windows and the exit desk issue, top up, settle;
  // finance reads; a supervisor blocks a lost band; shops and lockers are set up by the administrator.
  { prefix: '/wallets', methods: ['GET'], access: ['administrator', 'finance', 'seller', 'supervisor'] },
  { prefix: '/wallets', methods: ['POST'], access: ['administrator', 'finance', 'seller', 'supervisor'] },
  { prefix: '/shops', methods: ['GET'], access: ['administrator', 'finance', 'seller', 'supervisor'] },
  { prefix: '/shops', methods: WRITE, access: ADMIN },
  { prefix: '/lockers', methods: ['GET'], access: ['administrator', 'finance', 'seller', 'supervisor'] },
  { prefix: '/lockers', methods: ['PUT'], access: ADMIN },
  { prefix: '/lockers', methods: ['POST'], access: ['administrator', 'seller', 'supervisor'] },
];

/** The entry that governs a request, or undefined (refused). */
export function accessFor(path: string, method: string, policy: readonly PolicyEntry[] = POLICY): Access | undefined {
  return ruleFor(policy, path, method)?.access;
}

/** The table as one user may see it: each entry with whether the user passes it (GET /auth/access). */
export function accessTable(roles: readonly Role[], policy: readonly PolicyEntry[] = POLICY) {
  return policy.map((e) => ({
    prefix: e.prefix,
    methods: e.methods,
    allowed: e.access === 'public' || (Array.isArray(e.access) && e.access.some((r) => roles.includes(r))),
  }));
}
