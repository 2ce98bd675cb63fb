/**
 * Loading one environment file (docs/environments.md) in either layout: `environments/<name>.json|yaml`
 * (Tide) or the Provisioner's `<config>/<name>.json`. A bad file is a problem naming file, path and
 * reason, never skipped in silence as the Provisioner did.
 */
import { parseDuration } from '../time/duration.ts';
import type { EnvironmentDefinition } from './config-model.ts';
import { actionPlaceholders, environmentFileSchema, type EnvironmentFile } from './environment.schema.ts';
import { isValidName, nameRule } from './names.ts';
import { parseConfigText } from './parse-config-file.ts';
import { issuesToProblems } from './zod-problems.ts';

/** What the Provisioner's `environmentctl switch` ran for each reserved IP (it had no setting for it). */
export const PROVISIONER_SWITCH_COMMAND: readonly string[] = Object.freeze([
  'doctl',
  'compute',
  'reserved-ip-action',
  'assign',
  '{reserved_ip}',
  '--resource',
  '{resource}',
  '--wait',
]);

export const DEFAULT_HEALTH_TIMEOUT_MS = 30_000;
export const DEFAULT_ACTION_TIMEOUT_MS = 60_000;
/** Per engine command of a template action: an apply talks to a cloud API, often more than once. */
export const DEFAULT_TEMPLATE_ACTION_TIMEOUT_MS = 10 * 60_000;

/** Top-level files of a config directory that are not Provisioner environment files (its own rule). */
export function isProvisionerEnvironmentFile(fileName: string): boolean {
  return (
    fileName.endsWith('.json') &&
    !fileName.startsWith('.') &&
    fileName !== 'config.json' &&
    fileName !== 'notifications.json' &&
    !fileName.includes('scheduler') &&
    !fileName.includes('jobs')
  );
}

export const environmentFilePattern = /\.(json|ya?ml)$/;

export type EnvironmentFileResult =
  | { ok: true; name: string; value: EnvironmentDefinition }
  | { ok: false; name: string; problems: { path: string; message: string }[] };

/** `file` is relative to the config directory: `environments/prod.json` or `prod.json`. */
export function parseEnvironmentFile(file: string, text: string): EnvironmentFileResult {
  const layout = file.includes('/') ? 'environments' : 'provisioner';
  const name = file.slice(file.lastIndexOf('/') + 1).replace(environmentFilePattern, '');
  const fail = (problems: { path: string; message: string }[]): EnvironmentFileResult => ({
    ok: false,
    name,
    problems,
  });
  if (!isValidName(name))
    return fail([{ path: '', message: `invalid environment name "${name}": use ${nameRule}` }]);
  const parsed = parseConfigText(file, text);
  if (!parsed.ok) return fail([{ path: '', message: parsed.message }]);
  const result = environmentFileSchema.safeParse(parsed.value);
  if (!result.success) return fail(issuesToProblems(result.error.issues));
  const data = result.data;
  const problems: { path: string; message: string }[] = [];
  if (layout === 'environments' && data.action === undefined) {
    problems.push({
      path: 'action',
      message:
        'required: the command (or template) that points the reserved IPs at a workspace (the Provisioner ran "doctl compute reserved-ip-action assign {reserved_ip} --resource {resource} --wait")',
    });
  }
  const action = data.action;
  const command =
    action === undefined
      ? PROVISIONER_SWITCH_COMMAND
      : action.command !== undefined
        ? splitCommand(action.command)
        : [];
  command.forEach((arg, index) => {
    for (const [, placeholder] of arg.matchAll(/\{([^{}]*)\}/g)) {
      if (!(actionPlaceholders as readonly string[]).includes(placeholder!)) {
        problems.push({
          path: Array.isArray(action?.command) ? `action.command[${index}]` : 'action.command',
          message: `unknown placeholder {${placeholder}}; known: ${actionPlaceholders.map((p) => `{${p}}`).join(', ')}`,
        });
      }
    }
  });
  if (problems.length > 0) return fail(problems);
  return { ok: true, name, value: normalize(name, file, layout, data, command) };
}

/** A string is split on whitespace (no shell, as the Provisioner did); a list is the argv as given. */
function splitCommand(command: string | readonly string[]): readonly string[] {
  return typeof command === 'string' ? command.trim().split(/\s+/) : [...command];
}

function duration(text: string | undefined, fallbackMs: number): number {
  if (text === undefined) return fallbackMs;
  const parsed = parseDuration(text);
  return parsed.ok ? parsed.ms : fallbackMs;
}

function normalize(
  name: string,
  file: string,
  layout: EnvironmentDefinition['layout'],
  data: EnvironmentFile,
  command: readonly string[],
): EnvironmentDefinition {
  const check = data.healthcheck;
  return Object.freeze({
    name,
    description: data.description ?? '',
    domain: data.domain,
    reservedIps: Object.freeze([...data.reserved_ips]),
    ...(data.assigned_workspace === undefined ? {} : { initialWorkspace: data.assigned_workspace }),
    healthCheck: Object.freeze({
      type: check.type,
      path: check.path ?? '/',
      ...(check.port === undefined ? {} : { port: check.port }),
      ...(check.command === undefined ? {} : { command: Object.freeze(splitCommand(check.command)) }),
      timeoutMs: duration(check.timeout, DEFAULT_HEALTH_TIMEOUT_MS),
    }),
    outputs: Object.freeze({
      addresses: data.outputs?.addresses ?? 'load_balancers',
      addressMap: data.outputs?.address_map ?? 'load_balancer_ips',
    }),
    action: Object.freeze({
      command: Object.freeze([...command]),
      ...(data.action?.template !== undefined
        ? {
            template: Object.freeze({
              name: data.action.template,
              variables: Object.freeze({ ...(data.action.variables ?? {}) }),
            }),
          }
        : {}),
      timeoutMs: duration(
        data.action?.timeout,
        data.action?.template !== undefined ? DEFAULT_TEMPLATE_ACTION_TIMEOUT_MS : DEFAULT_ACTION_TIMEOUT_MS,
      ),
      implicit: data.action === undefined,
    }),
    verify: data.verify ?? true,
    layout,
    file,
  });
}
