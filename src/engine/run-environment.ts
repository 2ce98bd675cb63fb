/**
 * The environment a run's processes start from. Never the server's whole environment: it holds Tide's own
 * secrets (TIDE_JWT_SECRET, TIDE_ENCRYPTION_KEY, TIDE_DATABASE_URL) and whatever else the host gave the
 * server, and every job script and provisioner could read it. Only what a process needs to work on this
 * host passes, plus what the operator names in TIDE_RUN_ENV_PASSTHROUGH (cloud credentials, engine
 * settings); the run adds its own variables on top. No TIDE_* variable of the server ever passes.
 */

/** Always passed when set: finding programs, a home, the locale and time zone, scratch space. */
const BASICS = new Set(['PATH', 'HOME', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR']);
/** Proxies, in either case: curl and the engine's HTTP client read both spellings. */
const PROXIES = new Set(['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY']);

/** A name, or a prefix ending in `*` (`AWS_*`). */
const ENTRY = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;
const TIDE_PREFIX = 'TIDE_';

/** The variables of `source` a run may see: the basics and the operator's passthrough list. */
export function runEnvironment(
  source: NodeJS.ProcessEnv,
  passthrough: readonly string[] = [],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || isTideVariable(name)) continue;
    if (isBasic(name) || passthrough.some((entry) => matches(entry, name))) env[name] = value;
  }
  return env;
}

/** `env` without the server's TIDE_* variables: the last guard before a run's first process. */
export function withoutTideVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !isTideVariable(name)));
}

/**
 * Checks TIDE_RUN_ENV_PASSTHROUGH's entries; returns one problem per bad entry (empty: all good). An entry
 * that names or could match a TIDE_* variable is refused rather than dropped, so the operator learns that
 * Tide's settings never reach a run instead of wondering why one is missing.
 */
export function passthroughProblems(entries: readonly string[]): string[] {
  return entries.flatMap((entry) => {
    if (entry === '*') return [`"*" would pass the whole environment; name variables or prefixes (AWS_*)`];
    if (!ENTRY.test(entry)) return [`"${entry}" is not a variable name or a prefix ending in * (AWS_*)`];
    const upper = entry.toUpperCase();
    const prefix = upper.endsWith('*') ? upper.slice(0, -1) : null;
    if (upper.startsWith(TIDE_PREFIX) || (prefix !== null && TIDE_PREFIX.startsWith(prefix))) {
      return [`"${entry}" would pass Tide's own TIDE_* settings, which never reach a run`];
    }
    return [];
  });
}

function isTideVariable(name: string): boolean {
  return name.toUpperCase().startsWith(TIDE_PREFIX);
}

function isBasic(name: string): boolean {
  return BASICS.has(name) || name.startsWith('LC_') || PROXIES.has(name.toUpperCase());
}

function matches(entry: string, name: string): boolean {
  return entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry;
}
