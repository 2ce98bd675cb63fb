import { parseJson } from './plan-summary.ts';

/** What a sensitive output's value is stored and shown as. */
export const SENSITIVE_OUTPUT = '(sensitive)';

type OutputJson = Record<string, { sensitive?: boolean; value?: unknown }>;

/**
 * `{name: value}` from `output -json`. Sensitive values never leave this function: the run record, the API
 * and the jobs' TIDE_OUTPUT_* variables all see `(sensitive)`. An empty state prints `{}`.
 */
export function parseOutputs(outputJson: string): Record<string, unknown> {
  const parsed = parseJson<OutputJson | null>(outputJson.trim() === '' ? '{}' : outputJson, 'output -json');
  const outputs: Record<string, unknown> = {};
  for (const [name, output] of Object.entries(parsed ?? {})) {
    outputs[name] = output.sensitive ? SENSITIVE_OUTPUT : (output.value ?? null);
  }
  return outputs;
}
