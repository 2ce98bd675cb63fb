import type { Command } from 'commander';
import { formatProblem, loadConfigDirectory } from '../../config/config-loader.ts';
import { TideError } from '../../errors/tide-error.ts';
import type { ConfigProblem } from '../../config/config-model.ts';
import { printJson, type CliContext } from '../output.ts';
import { configDirectory, loadEnv } from '../settings.ts';
import { registryFor, type StoreOptions } from './validate-registry.ts';
import { withStoreOptions } from '../offline-store.ts';

export interface ValidateResult {
  ok: boolean;
  directory: string;
  workspaces: string[];
  rejected_workspaces: string[];
  jobs: string[];
  calendars: string[];
  templates: string[];
  /** Templates registered from git (`tide template add`) the check knew of; empty without a database. */
  registered_templates: string[];
  environments: string[];
  problems: ConfigProblem[];
}

/** The checks `tide serve` runs on load, offline. */
export async function validateDirectory(
  directory: string,
  timezone: string,
  registered: ReadonlyMap<string, string> = new Map(),
): Promise<ValidateResult> {
  const { snapshot } = await loadConfigDirectory(directory, {
    defaultTimeZone: timezone,
    registeredTemplates: () => registered,
  });
  const rejected = new Set(
    snapshot.problems
      .filter((p) => p.severity === 'error' && p.unit.kind === 'workspace')
      .map((p) => p.unit.name),
  );
  return {
    ok: !snapshot.problems.some((p) => p.severity === 'error'),
    directory: snapshot.directory,
    workspaces: [...snapshot.workspaces.keys()].sort(),
    rejected_workspaces: [...rejected].sort(),
    jobs: [...snapshot.jobs.keys()].sort(),
    calendars: [...snapshot.calendars.keys()].sort(),
    templates: [...snapshot.templates.keys()].sort(),
    registered_templates: [...registered.keys()].sort(),
    environments: [...(snapshot.environments?.keys() ?? [])].sort(),
    problems: [...snapshot.problems],
  };
}

function summary(result: ValidateResult): string {
  const counts = `${result.workspaces.length} workspaces, ${result.jobs.length} standalone jobs, ${result.calendars.length} calendars, ${result.templates.length} templates${result.registered_templates.length ? ` (and ${result.registered_templates.length} from git)` : ''}, ${result.environments.length} environments`;
  const errors = result.problems.filter((p) => p.severity === 'error').length;
  const warnings = result.problems.length - errors;
  if (result.ok) return `ok: ${result.directory}: ${counts}${warnings ? `, ${warnings} warnings` : ''}`;
  return `invalid: ${result.directory}: ${errors} errors, ${warnings} warnings (valid: ${counts}; rejected workspaces: ${result.rejected_workspaces.join(', ') || 'none'})`;
}

export function registerValidate(program: Command, ctx: CliContext): void {
  withStoreOptions(program.command('validate'))
    .description('Validate a configuration directory offline (exit 1 if anything is wrong)')
    .argument('[dir]', 'configuration directory (same as --config-dir)')
    .option('--config-dir <dir>', 'configuration directory (default: TIDE_CONFIG_DIR, else ./config)')
    .option('--json', 'print the result as JSON')
    .action(
      async (dir: string | undefined, options: StoreOptions & { configDir?: string; json?: boolean }) => {
        if (dir !== undefined && options.configDir !== undefined)
          throw new TideError('invalid_argument', 'name the directory once: [dir] or --config-dir, not both');
        const env = loadEnv(ctx.env);
        const directory = configDirectory(dir ?? options.configDir, ctx.env, ctx.cwd);
        const result = await validateDirectory(
          directory,
          env.TIDE_TIMEZONE,
          await registryFor(options, ctx.env),
        );
        if (options.json) printJson(ctx.output, result);
        else {
          for (const problem of result.problems) ctx.output.out(formatProblem(problem));
          ctx.output.out(summary(result));
        }
        if (!result.ok) ctx.exitCode = 1;
      },
    );
}
