import { existsSync } from 'node:fs';
import path from 'node:path';
import { TideError } from '../errors/tide-error.ts';
import { parseEnv, type TideEnv } from '../env/env.schema.ts';

type Environment = Readonly<Record<string, string | undefined>>;

/** The validated environment, or a usage error listing every bad variable. */
export function loadEnv(source: Environment): TideEnv {
  const parsed = parseEnv(source);
  if (!parsed.ok) throw new TideError('invalid_argument', `invalid environment: ${parsed.errors.join('; ')}`);
  return parsed.env;
}

/**
 * The configuration directory of a command that reads one: `--config-dir`, else TIDE_CONFIG_DIR, else
 * `./config` when it exists. With none of them there is nothing to guess, so the error says how to name
 * one. A directory named explicitly is returned even if it is missing: the loader says so.
 */
export function configDirectory(option: string | undefined, env: Environment, cwd: string): string {
  if (option !== undefined) return path.resolve(cwd, option);
  // Unset and empty are the same, as in parseEnv.
  if (env.TIDE_CONFIG_DIR) return path.resolve(cwd, env.TIDE_CONFIG_DIR);
  const local = path.resolve(cwd, 'config');
  if (existsSync(local)) return local;
  throw new TideError(
    'invalid_argument',
    `no configuration directory: pass --config-dir <dir> or set TIDE_CONFIG_DIR (there is no ./config in ${cwd})`,
  );
}
