/**
 * What the page offers a role (src/auth/permissions.ts decides on the server, which still enforces it:
 * hiding a button is a courtesy, not a control).
 */
import type { Role } from '../api/types';

export const canOperate = (role: Role | undefined) => role === 'operator' || role === 'admin';
export const canAdminister = (role: Role | undefined) => role === 'admin';
