export const ROLES = ['administrator', 'finance', 'marketing', 'seller', 'supervisor'] as const;
export type Role = (typeof ROLES)[number];

/** Rights a user may be given on top of the role (see users.permissions). */
export const PERMISSIONS = ['refund'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface AuthUser {
  id: string;
  username: string;
  displayName: string;
  roles: Role[];
  permissions: Permission[];
}

export const hasRole = (u: AuthUser, ...roles: Role[]) => u.roles.some((r) => roles.includes(r));
