/**
 * `tide override add|list|remove` (docs/overrides.md): a thin client of
 * /api/v1/workspaces/{name}/overrides. Human times (`--until 21:00`) are read in the workspace's time zone,
 * which the command asks the server for first (src/workspace/override-time.ts).
 */
import type { Command } from 'commander';
import { TideError } from '../../errors/tide-error.ts';
import { systemClock } from '../../time/clock.ts';
import type { OverrideKind, OverrideView } from '../../workspace/override.ts';
import { parseOverrideEnd } from '../../workspace/override-time.ts';
import type { WorkspaceView } from '../../workspace-service/workspace-view.ts';
import { clientFor } from '../api-client.ts';
import { formatTable } from '../format.ts';
import { printJson, type CliContext } from '../output.ts';
import { clientCommand, type ClientOptions } from './client-command.ts';

interface AddOptions extends ClientOptions {
  keepUp?: boolean;
  keepDown?: boolean;
  skipNext?: string;
  pause?: boolean;
  until?: string;
  for?: string;
  reason?: string;
}

const overridesPath = (name: string, suffix = '') =>
  `/api/v1/workspaces/${encodeURIComponent(name)}/overrides${suffix}`;

function kindOf(options: AddOptions): { kind: OverrideKind; action?: 'deploy' | 'destroy' } {
  const chosen: Array<{ kind: OverrideKind; action?: 'deploy' | 'destroy' }> = [];
  if (options.keepUp) chosen.push({ kind: 'keep_up_until' });
  if (options.keepDown) chosen.push({ kind: 'keep_down_until' });
  if (options.pause) chosen.push({ kind: 'pause_until' });
  if (options.skipNext !== undefined) {
    if (options.skipNext !== 'deploy' && options.skipNext !== 'destroy')
      throw new TideError(
        'invalid_argument',
        `--skip-next takes deploy or destroy, not "${options.skipNext}"`,
      );
    chosen.push({ kind: 'skip_next', action: options.skipNext });
  }
  if (chosen.length !== 1)
    throw new TideError(
      'invalid_argument',
      'give exactly one of --keep-up, --keep-down, --skip-next <action>, --pause',
    );
  return chosen[0]!;
}

function overrideRows(items: readonly OverrideView[]): string {
  if (items.length === 0) return 'no overrides in force';
  return formatTable(
    ['WORKSPACE', 'ID', 'KIND', 'UNTIL', 'BY', 'REASON'],
    items.map((o) => [
      o.workspace,
      o.id,
      o.action ? `${o.kind} ${o.action}` : o.kind,
      o.ends_at,
      o.actor,
      o.reason ?? '',
    ]),
  );
}

export function registerOverride(program: Command, ctx: CliContext): void {
  const override = program
    .command('override')
    .description("Time-boxed exceptions to a workspace's schedule (talks to the API at TIDE_URL)");

  clientCommand(override, 'add', 'Keep a workspace up or down, skip its next deploy/destroy, or pause it')
    .argument('<workspace>', 'workspace name')
    .option('--keep-up', 'keep it up until the end: destroys due meanwhile are skipped')
    .option('--keep-down', 'keep it down until the end: deploys due meanwhile are skipped')
    .option('--skip-next <action>', 'skip the next deploy or destroy only')
    .option('--pause', 'no scheduled or window firing at all until the end')
    .option(
      '--until <time>',
      "end: 21:00 (today or tomorrow), 2026-12-03T08:00 (workspace's zone) or an ISO instant",
    )
    .option('--for <duration>', 'end: this long from now, e.g. 3h, 90m, 1d')
    .option('--reason <text>', 'why, for the audit log and the ledger')
    .option('--json', 'print JSON')
    .action(async (name: string, options: AddOptions) => {
      const { kind, action } = kindOf(options);
      const client = clientFor(options, ctx.env);
      let end: { until?: string; for?: string } = {};
      if (options.until !== undefined || options.for !== undefined || kind !== 'skip_next') {
        // Only --until needs the zone; asking for the workspace also says early that it does not exist.
        const timezone =
          options.until === undefined
            ? 'UTC'
            : ((await client.get<WorkspaceView>(`/api/v1/workspaces/${encodeURIComponent(name)}`)).timezone ??
              'UTC');
        const parsed = parseOverrideEnd(
          { until: options.until, for: options.for },
          systemClock.now(),
          timezone,
        );
        if (!parsed.ok) throw new TideError('invalid_argument', parsed.error);
        end = 'until' in parsed ? { until: parsed.until.toISOString() } : { for: parsed.for };
      }
      const created = await client.post<OverrideView>(overridesPath(name), {
        kind,
        ...(action ? { action } : {}),
        ...end,
        ...(options.reason === undefined ? {} : { reason: options.reason }),
      });
      if (options.json) return printJson(ctx.output, created);
      ctx.output.out(
        `override ${created.id}: ${created.action ? `${created.kind} ${created.action}` : created.kind} on ${created.workspace} until ${created.ends_at}`,
      );
    });

  clientCommand(override, 'list', 'Overrides in force, of one workspace or of all')
    .argument('[workspace]', 'workspace name (default: every workspace)')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, options: ClientOptions) => {
      const client = clientFor(options, ctx.env);
      const items =
        name === undefined
          ? (await client.getAll<WorkspaceView>('/api/v1/workspaces')).flatMap((w) => w.overrides)
          : (await client.get<{ items: OverrideView[] }>(overridesPath(name))).items;
      if (options.json) return printJson(ctx.output, items);
      ctx.output.out(overrideRows(items));
    });

  clientCommand(override, 'remove', 'End an override now')
    .argument('<workspace>', 'workspace name')
    .argument('<id>', 'override id (tide override list)')
    .action(async (name: string, id: string, options: ClientOptions) => {
      await clientFor(options, ctx.env).delete(overridesPath(name, `/${encodeURIComponent(id)}`));
      ctx.output.out(`override ${id} removed`);
    });
}
