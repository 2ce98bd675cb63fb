/**
 * Finding the engine (SPEC §5): `TIDE_TOFU_BIN`, else `tofu` on PATH, else `terraform` on PATH — they share
 * the CLI contract. Each candidate must answer `version` within a time limit: a hanging binary is reported
 * as an error, never waited on forever.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { TideError } from '../errors/tide-error.ts';
import { runProcess } from './process-group.ts';

export interface Engine {
  /** Absolute path of the binary. */
  readonly bin: string;
  readonly name: 'tofu' | 'terraform';
  /** e.g. `1.8.3`. */
  readonly version: string;
}

export interface DiscoverEngineOptions {
  /** TIDE_TOFU_BIN: when set, this binary and nothing else. Default: process.env.TIDE_TOFU_BIN. */
  readonly tofuBin?: string | undefined;
  /** Where to look for `tofu`, then `terraform`. Default: process.env.PATH. */
  readonly path?: string | undefined;
  /** How long `<bin> version` may take. Default 10 s. */
  readonly timeoutMs?: number;
}

export const DEFAULT_VERSION_TIMEOUT_MS = 10_000;

export async function discoverEngine(options: DiscoverEngineOptions = {}): Promise<Engine> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_VERSION_TIMEOUT_MS;
  const explicit = 'tofuBin' in options ? options.tofuBin : process.env.TIDE_TOFU_BIN;
  if (explicit) {
    // The operator chose this binary: falling back to another engine would hide their mistake.
    const bin = path.resolve(explicit);
    const problem = await notExecutable(bin);
    if (problem) throw notFound(`TIDE_TOFU_BIN=${explicit} ${problem}`);
    const probed = await probe(bin, timeoutMs);
    if (typeof probed === 'string') throw notFound(`TIDE_TOFU_BIN=${explicit}: ${probed}`);
    return probed;
  }
  const searchPath = ('path' in options ? options.path : process.env.PATH) ?? '';
  const tried: string[] = ['TIDE_TOFU_BIN is not set'];
  for (const name of ['tofu', 'terraform'] as const) {
    const bin = await findOnPath(name, searchPath);
    if (!bin) {
      tried.push(`no ${name} on PATH (${searchPath || 'empty'})`);
      continue;
    }
    const probed = await probe(bin, timeoutMs);
    if (typeof probed !== 'string') return probed;
    tried.push(`${bin}: ${probed}`);
  }
  throw notFound(tried.join('; '));
}

/** The first executable regular file called `name` in the PATH's directories. */
export async function findOnPath(name: string, searchPath: string): Promise<string | null> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.resolve(dir, name);
    if (!(await notExecutable(candidate))) return candidate;
  }
  return null;
}

/** Parses `version -json` (`{"terraform_version": "1.11.4"}`, OpenTofu uses the same key) or plain `version`. */
export function parseVersion(output: string): string | null {
  try {
    const parsed = JSON.parse(output) as { terraform_version?: unknown };
    if (typeof parsed.terraform_version === 'string') return parsed.terraform_version;
  } catch {
    // Not JSON: an engine too old for -json prints "Terraform v1.5.7" / "OpenTofu v1.6.0".
  }
  return /\bv(\d+\.\d+\.\d+[^\s]*)/.exec(output)?.[1] ?? null;
}

async function probe(bin: string, timeoutMs: number): Promise<Engine | string> {
  const name = engineName(bin);
  for (const args of [['version', '-json'], ['version']]) {
    const result = await runProcess({
      command: bin,
      args,
      cwd: path.dirname(bin),
      // CHECKPOINT_DISABLE: `version` would otherwise ask the internet whether an upgrade exists.
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
      onLine: () => {},
      captureStdout: true,
      timeoutMs,
      graceMs: 1000,
    });
    if (result.outcome === 'timed_out') return `\`${args.join(' ')}\` did not answer within ${timeoutMs} ms`;
    if (result.outcome === 'spawn_failed') return result.error ?? 'cannot be started';
    const version = result.exitCode === 0 ? parseVersion(result.stdout) : null;
    if (version) return { bin, name, version };
  }
  return '`version` did not report a version';
}

function engineName(bin: string): Engine['name'] {
  // OpenTofu's `version -json` uses Terraform's key, so the name comes from the binary; a custom path
  // (TIDE_TOFU_BIN=/opt/engine) is taken for OpenTofu, the engine Tide is built for.
  return /terraform/i.test(path.basename(bin)) ? 'terraform' : 'tofu';
}

async function notExecutable(file: string): Promise<string | null> {
  try {
    if (!(await stat(file)).isFile()) return 'is not a file';
    await access(file, constants.X_OK);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not executable';
  }
}

function notFound(what: string): TideError {
  return new TideError('engine_not_found', `no usable OpenTofu/Terraform engine: ${what}`, {
    details: { tried: what },
  });
}
