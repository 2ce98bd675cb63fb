import { TideError } from '../errors/tide-error.ts';
import { parseEnv, type TideEnv } from '../env/env.schema.ts';

/** The validated environment, or a usage error listing every bad variable. */
export function loadEnv(source: Record<string, string | undefined> = process.env): TideEnv {
  const parsed = parseEnv(source);
  if (!parsed.ok) throw new TideError('invalid_argument', `invalid environment: ${parsed.errors.join('; ')}`);
  return parsed.env;
}
