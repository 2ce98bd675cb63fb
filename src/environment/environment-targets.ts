/**
 * Where a workspace can be reached, from the outputs of its latest successful deploy (stored on the run as
 * `output -json` gave them: the raw value per output). The Provisioner expected `{"value": [...]}` from
 * `tofu output -json load_balancers`, which prints only the value, so its switch never got this far.
 *
 * Read (names configurable per environment under `outputs`):
 * - `load_balancers`: a string, or a non-empty list of strings (or numbers): the targets, in order; the
 *   i-th reserved IP goes to the i-th target.
 * - `load_balancer_ips` (optional): a map from a target to its IP, for targets that are ids.
 * A target that is an IP address is its own address; one the map names gets the map's IP; any other is
 * used as it is (a host name).
 */
import { isIP } from 'node:net';
import type { EnvironmentDefinition } from '../config/config-model.ts';

export interface Target {
  /** The output's entry: what the action's `{resource}` is. */
  readonly resource: string;
  /** Where the health check goes: the action's `{server}`. */
  readonly server: string;
}

/** Sensitive outputs are stored as this (src/engine/outputs.ts). */
const SENSITIVE = '(sensitive)';

/**
 * `{name: value}` from a state document's `outputs` (`{name: {value, type, sensitive?}}`), sensitive
 * values replaced as on a run; null when the content is not a state document with outputs.
 */
export function outputsFromState(content: Buffer | string): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(content));
  } catch {
    return null;
  }
  const outputs = (parsed as { outputs?: unknown } | null)?.outputs;
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) return null;
  return Object.fromEntries(
    Object.entries(outputs as Record<string, { value?: unknown; sensitive?: boolean }>).map(
      ([name, output]) => [name, output?.sensitive ? SENSITIVE : (output?.value ?? null)],
    ),
  );
}

export type TargetsResult = { ok: true; targets: Target[] } | { ok: false; message: string };

export function targetsFromOutputs(
  environment: Pick<EnvironmentDefinition, 'outputs' | 'reservedIps'>,
  workspace: string,
  outputs: Readonly<Record<string, unknown>>,
): TargetsResult {
  const { addresses, addressMap } = environment.outputs;
  const fail = (message: string): TargetsResult => ({
    ok: false,
    message: `workspace "${workspace}" ${message}`,
  });
  if (!Object.hasOwn(outputs, addresses)) {
    const known = Object.keys(outputs).sort();
    return fail(
      `has no output "${addresses}" (its outputs: ${known.join(', ') || 'none'}); declare it as a string or a list of strings`,
    );
  }
  const value = outputs[addresses];
  if (value === SENSITIVE)
    return fail(`output "${addresses}" is sensitive: Tide does not keep its value; make it non-sensitive`);
  const list = typeof value === 'string' || typeof value === 'number' ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((v) => typeof v === 'string' || typeof v === 'number')
  )
    return fail(
      `output "${addresses}" must be a string or a non-empty list of strings, got ${JSON.stringify(value)}`,
    );
  const resources = list.map(String).filter((entry) => entry.trim() !== '');
  if (resources.length !== list.length) return fail(`output "${addresses}" has an empty entry`);
  if (resources.length < environment.reservedIps.length)
    return fail(
      `output "${addresses}" has ${resources.length} target(s) for ${environment.reservedIps.length} reserved IPs`,
    );
  const map = outputs[addressMap];
  const lookup =
    typeof map === 'object' && map !== null && !Array.isArray(map) ? (map as Record<string, unknown>) : {};
  const targets = resources.map((resource) => {
    const mapped = lookup[resource];
    const server = isIP(resource)
      ? resource
      : typeof mapped === 'string' && mapped !== ''
        ? mapped
        : resource;
    return { resource, server };
  });
  return { ok: true, targets };
}
