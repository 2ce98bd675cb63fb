/**
 * The one catalogue of Tide's error codes. Every typed error carries one of these codes; the HTTP status and
 * the CLI exit code are looked up here and nowhere else. A test checks that each code is documented in
 * docs/errors.md.
 */
export const errorCatalogue = {
  invalid_argument: {
    status: 400,
    exitCode: 2,
    summary: 'A command-line argument or request parameter is invalid.',
  },
  validation_failed: {
    status: 400,
    exitCode: 2,
    summary: 'A request body, query string or path parameter failed schema validation.',
  },
  payload_too_large: {
    status: 413,
    exitCode: 2,
    summary:
      'The request body is larger than the route takes: 1 MiB, 64 MiB for a state sent to the state backend.',
  },
  unauthenticated: {
    status: 401,
    exitCode: 6,
    summary:
      'No valid credentials: none sent, or the token is expired, revoked or malformed (run `tide login`, or set TIDE_TOKEN).',
  },
  invalid_credentials: {
    status: 401,
    exitCode: 6,
    summary:
      'Login refused: unknown user, wrong password, or account temporarily locked (one answer for all).',
  },
  oidc_failed: {
    status: 400,
    exitCode: 6,
    summary:
      'Single sign-on could not complete: the sign-in attempt is missing, expired or from another browser (state), the provider refused, or its answer failed validation.',
  },
  oidc_unavailable: {
    status: 502,
    exitCode: 5,
    summary:
      'The OpenID provider (TIDE_OIDC_ISSUER) could not be reached or answered with something unusable.',
  },
  git_failed: {
    status: 502,
    exitCode: 5,
    summary:
      'A git command on a template repository failed: the URL cannot be reached, the ref or subdirectory does not exist, or the credential was refused (the message says which; it never shows the credential).',
  },
  forbidden: {
    status: 403,
    exitCode: 7,
    summary: 'Authenticated, but the role or workspace patterns do not allow this request.',
  },
  csrf_failed: {
    status: 403,
    exitCode: 7,
    summary:
      'A cookie-authenticated request lacked a matching X-CSRF-Token header or came from an untrusted Origin.',
  },
  // 409, not 422: the request is fine; the workspace's files are what is wrong, so it conflicts with its state.
  config_invalid: {
    status: 409,
    exitCode: 1,
    summary: 'A configuration file failed validation (or the workspace has never had a valid one).',
  },
  not_found: {
    status: 404,
    exitCode: 3,
    summary: 'The named workspace, run, job or other resource does not exist.',
  },
  conflict: {
    status: 409,
    exitCode: 4,
    summary: 'The request conflicts with the current state of the resource.',
  },
  firing_exists: {
    status: 409,
    exitCode: 4,
    summary: 'This firing (workspace, schedule, scheduled time) is already in the ledger.',
  },
  origin_not_allowed: {
    status: 403,
    exitCode: 1,
    summary: 'A browser preflight came from an origin not listed in TIDE_CORS_ORIGINS.',
  },
  lease_lost: {
    status: 403,
    exitCode: 7,
    summary:
      "A run's state credential no longer works: the run finished, was reaped as orphaned or was claimed again (fencing).",
  },
  state_locked: {
    status: 423,
    exitCode: 4,
    summary: "The workspace's state is locked by another live run (the body names the holder).",
  },
  workspace_busy: { status: 409, exitCode: 4, summary: 'The workspace already has an active run.' },
  health_check_failed: {
    status: 409,
    exitCode: 4,
    summary:
      "An environment switch was refused: the target workspace's health check failed on an address (details name each); nothing was changed.",
  },
  switch_failed: {
    status: 502,
    exitCode: 1,
    summary:
      "An environment switch's action failed; the previous assignment was restored by running the action for it (details say whether that worked).",
  },
  illegal_transition: {
    status: 409,
    exitCode: 4,
    summary: 'The run or workspace cannot move from its current state to that one.',
  },
  rate_limited: {
    status: 429,
    exitCode: 4,
    summary:
      'Too many requests from this client or principal; retry after the seconds in the Retry-After header.',
  },
  database_unavailable: {
    status: 503,
    exitCode: 5,
    summary: 'The database cannot be reached or is not migrated.',
  },
  migration_failed: {
    status: 503,
    exitCode: 5,
    summary: 'A database migration failed; the schema was left as it was.',
  },
  engine_not_found: {
    status: 503,
    exitCode: 5,
    summary:
      'No OpenTofu/Terraform engine could be found or run (TIDE_TOFU_BIN, then tofu, then terraform on PATH).',
  },
  not_ready: {
    status: 503,
    exitCode: 5,
    summary: 'The server is up but not ready (a readiness check fails; details name it).',
  },
  unreachable: {
    status: 503,
    exitCode: 5,
    summary: 'The CLI cannot reach the Tide server at TIDE_URL (connection refused, unknown host, timeout).',
  },
  backup_invalid: {
    status: 422,
    exitCode: 2,
    summary:
      'A backup archive failed verification: damaged, truncated, a checksum or row count that does not match (the message names the file), or from a newer Tide.',
  },
  internal: { status: 500, exitCode: 1, summary: 'An unexpected error; the log has the details.' },
} as const satisfies Record<string, { status: number; exitCode: number; summary: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export const errorCodes = Object.keys(errorCatalogue) as ErrorCode[];
