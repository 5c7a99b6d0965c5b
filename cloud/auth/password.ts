// The hash format is shared with the site hub, which checks synced users' passwords offline.
export { hashPassword, verifyPassword } from '../../shared/auth/password.ts';
