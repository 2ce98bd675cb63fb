/**
 * What a route requires (SPEC §7). Every route declares one in its Fastify route config
 * (`config: { permission: 'read' }`); a test fails on any route without. Workspace-scoped routes also
 * name the path parameter holding the workspace, so a principal limited to `team-a-*` is checked there.
 */
export type Permission =
  /** No authentication: health probes, metrics, login, token refresh, OIDC endpoints. */
  | 'public'
  /**
   * A run's state credential (HTTP Basic), not a person's token: the state backend the engine talks to.
   * The route checks it (src/state/state-backend.service.ts); no role grants it.
   */
  | 'run'
  /** Any authenticated principal, about itself: `/me`, logout, its own tokens. */
  | 'self'
  /** viewer, operator or admin: read workspaces, runs, logs, schedules, ledger, events. */
  | 'read'
  /** operator or admin: deploy, destroy, plan, enable/disable, overrides, run jobs, cancel, set variables. */
  | 'operate'
  /** admin: users, every token, templates, audit log. */
  | 'admin';

export type Role = 'admin' | 'operator' | 'viewer';

export const roles: readonly Role[] = ['admin', 'operator', 'viewer'];

export interface RoutePermission {
  readonly permission: Permission;
  /** The path parameter naming the workspace the route acts on (e.g. `name`), if any. */
  readonly workspaceParam?: string;
}

/** Whether a role may do what a permission asks, before any workspace scoping. */
export function roleAllows(role: Role, permission: Permission): boolean {
  switch (permission) {
    case 'public':
    case 'self':
    case 'read':
      return true;
    case 'operate':
      return role === 'operator' || role === 'admin';
    case 'admin':
      return role === 'admin';
    case 'run':
      return false;
  }
}
