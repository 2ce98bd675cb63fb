import { parseJson } from './plan-summary.ts';

/** What a sensitive output's value is stored and shown as. */
export const SENSITIVE_OUTPUT = '(sensitive)';

type OutputJson = Record<string, { sensitive?: boolean; value?: unknown }>;

/**
 * Every string inside `value` passed through `mask`: an output that is not marked sensitive may still
 * hold a sensitive variable's value (`output "x" { value = var.token }` with `token` not declared
 * sensitive in the code), and outputs are stored and returned by the API.
 */
export function maskOutputValues<T>(value: T, mask: (text: string) => string): T {
  if (typeof value === 'string') return mask(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => maskOutputValues(item, mask)) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, maskOutputValues(item, mask)]),
  ) as T;
}

/**
 * `{name: value}` from `output -json`. Sensitive values never leave this function: the run record, the API
 * and the jobs' TIDE_OUTPUT_* variables all see `(sensitive)`. An empty state prints `{}`.
 */
export function parseOutputs(outputJson: string): Record<string, unknown> {
  return outputsOf(
    parseJson<OutputJson | null>(outputJson.trim() === '' ? '{}' : outputJson, 'output -json'),
  );
}

function outputsOf(parsed: OutputJson | null): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  for (const [name, output] of Object.entries(parsed ?? {})) {
    outputs[name] = output.sensitive ? SENSITIVE_OUTPUT : (output.value ?? null);
  }
  return outputs;
}

/**
 * `{name: value}` from a state document's `outputs` (what the engine stored at the end of its apply), as
 * parseOutputs reads `output -json`: the state keeps the same `{value, type, sensitive}` per output.
 * No state (null) has no outputs.
 */
export function parseStateOutputs(state: string | null): Record<string, unknown> {
  if (state === null) return {};
  const document = parseJson<{ outputs?: OutputJson } | null>(state, 'the state');
  return outputsOf(document?.outputs ?? null);
}
