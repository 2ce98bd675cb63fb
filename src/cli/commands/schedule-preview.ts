import type { Command } from 'commander';
import { formatProblem, loadConfigDirectory } from '../../config/config-loader.ts';
import { TideError } from '../../errors/tide-error.ts';
import {
  formatPreviewText,
  MAX_PREVIEW_DAYS,
  previewFromProblem,
  schedulePreview,
} from '../../schedule/preview.ts';
import { systemClock } from '../../time/clock.ts';
import { declaredChain, type DeclaredChain } from '../../workspace-dependency/dependency-chain.ts';
import { printJson, type CliContext } from '../output.ts';
import { configDirectory, loadEnv } from '../settings.ts';

interface PreviewOptions {
  days: string;
  from?: string;
  configDir?: string;
  json?: boolean;
}

/** The same bounds as `GET /api/v1/workspaces/{name}/schedule` (preview.ts), named by their flags. */
function parseOptions(options: PreviewOptions): { days: number; from: Date } {
  const days = Number(options.days);
  if (!Number.isInteger(days) || days < 1 || days > MAX_PREVIEW_DAYS) {
    throw new TideError(
      'invalid_argument',
      `--days must be a whole number from 1 to ${MAX_PREVIEW_DAYS}, got "${options.days}"`,
      { details: { option: '--days', min: 1, max: MAX_PREVIEW_DAYS } },
    );
  }
  const from = options.from === undefined ? systemClock.now() : new Date(options.from);
  if (Number.isNaN(from.getTime())) {
    throw new TideError(
      'invalid_argument',
      `--from must be an ISO 8601 time such as 2027-03-13T00:00:00Z, got "${options.from}"`,
    );
  }
  const problem = previewFromProblem(from);
  if (problem)
    throw new TideError('invalid_argument', `--from: ${problem}`, { details: { option: '--from' } });
  return { days, from };
}

export function registerSchedulePreview(program: Command, ctx: CliContext): void {
  const schedule = program.command('schedule').description('Inspect schedules');
  schedule
    .command('preview')
    .description("Show a workspace's upcoming firings and up/down timeline, computed by the scheduler's code")
    .argument('<workspace>', 'workspace name')
    .option('--days <n>', `how many days ahead (1 to ${MAX_PREVIEW_DAYS})`, '7')
    .option('--from <time>', 'start instead of now (ISO 8601)')
    .option('--config-dir <dir>', 'configuration directory (default: TIDE_CONFIG_DIR, else ./config)')
    .option('--json', 'print JSON')
    .action(async (workspace: string, options: PreviewOptions) => {
      const { days, from } = parseOptions(options);
      const env = loadEnv(ctx.env);
      const directory = configDirectory(options.configDir, ctx.env, ctx.cwd);
      const { snapshot } = await loadConfigDirectory(directory, {
        defaultTimeZone: env.TIDE_TIMEZONE,
      });
      const definition = snapshot.workspaces.get(workspace);
      if (!definition) {
        const problems = snapshot.problems.filter(
          (p) => p.unit.kind === 'workspace' && p.unit.name === workspace && p.severity === 'error',
        );
        if (problems.length > 0) {
          throw new TideError(
            'config_invalid',
            `workspace "${workspace}" has configuration errors: ${problems.map(formatProblem).join('; ')}`,
          );
        }
        throw new TideError(
          'not_found',
          `workspace "${workspace}" not found in ${snapshot.directory}/workspaces`,
        );
      }
      const graph = new Map([...snapshot.workspaces].map(([name, w]) => [name, w.dependsOn]));
      const dependencies = declaredChain(graph, workspace);
      const preview = { ...schedulePreview(definition, snapshot.calendars, { from, days }), dependencies };
      if (options.json) printJson(ctx.output, preview);
      else
        ctx.output.out(
          [formatPreviewText(preview), ...formatDependencies(workspace, dependencies)].join('\n'),
        );
    });
}

/** The chain lines under the preview; none for a workspace nothing depends on and that depends on nothing. */
export function formatDependencies(workspace: string, chain: DeclaredChain): string[] {
  const lines: string[] = [];
  if (chain.deploy.length > 0)
    lines.push(`Deploy brings up first (those not deployed): ${[...chain.deploy, workspace].join(' → ')}`);
  if (chain.destroy.length > 0)
    lines.push(
      `Destroy takes down first (those not destroyed): ${[...chain.destroy, workspace].join(' → ')}`,
    );
  return lines.length > 0 ? ['', 'Dependencies (depends_on):', ...lines.map((line) => `  ${line}`)] : [];
}
