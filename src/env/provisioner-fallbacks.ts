/**
 * The Provisioner's directory variables, read as fallbacks for Tide's (docs/configuration.md): a host that
 * ran it can start Tide before its environment is rewritten. A Tide variable always wins; a fallback in
 * use earns a deprecation notice naming the variable to set instead.
 */

type Environment = Readonly<Record<string, string | undefined>>;

export const provisionerFallbacks = [
  { provisioner: 'PROVISIONER_CONFIG_DIR', tide: 'TIDE_CONFIG_DIR' },
  { provisioner: 'PROVISIONER_STATE_DIR', tide: 'TIDE_DATA_DIR' },
] as const;

export interface FallbackResult {
  /** The environment with each unset Tide variable taken from its Provisioner counterpart. */
  readonly env: Environment;
  /** One deprecation notice per fallback used. */
  readonly notices: readonly string[];
}

// Unset and empty are the same, as in parseEnv.
const isSet = (value: string | undefined): value is string => value !== undefined && value !== '';

export function applyProvisionerFallbacks(source: Environment): FallbackResult {
  const env: Record<string, string | undefined> = { ...source };
  const notices: string[] = [];
  for (const { provisioner, tide } of provisionerFallbacks) {
    const value = source[provisioner];
    if (!isSet(value)) continue;
    if (isSet(source[tide])) {
      notices.push(`${provisioner} is deprecated and ignored: ${tide} is set`);
      continue;
    }
    env[tide] = value;
    notices.push(`${provisioner} is deprecated: read as ${tide}=${value}; set ${tide} instead`);
  }
  return { env: Object.freeze(env), notices };
}
