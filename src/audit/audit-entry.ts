/**
 * What every mutation and auth event leaves in the audit log (SPEC §7). The auth, API and CLI code
 * records through `AuditRecorder`; src/audit/ stores entries hash-chained.
 */
export interface AuditEntryInput {
  /** Who: a username, `token:<owner>/<name>`, `scheduler`, or `anonymous` (e.g. a failed login for an unknown user). */
  readonly actor: string;
  /** What, as `<domain>.<verb>`: `auth.login`, `auth.logout`, `workspace.deploy`, `user.create`, `token.revoke` … */
  readonly action: string;
  /** On what: `workspace:web`, `run:<id>`, `user:alice`, or null. */
  readonly target: string | null;
  readonly result: 'success' | 'failure' | 'denied';
  readonly sourceIp: string | null;
  readonly requestId: string | null;
  /** Extra facts (never secrets): a reason, a role, a mode. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditRecorder {
  record(entry: AuditEntryInput): Promise<void>;
}
