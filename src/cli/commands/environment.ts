/**
 * `tide environment list|status [ENV]|switch ENV WORKSPACE [--yes]` (the Provisioner's `environmentctl`):
 * a thin client of /api/v1/environments. A switch shows what it did: each address's health check and each
 * action's output, the check after the switch, the restore's too when an action or that check failed.
 */
import type { Command } from 'commander';
import type { EnvironmentView, SwitchView } from '../../environment/environment.service.ts';
import { TideError } from '../../errors/tide-error.ts';
import { systemClock } from '../../time/clock.ts';
import { clientFor } from '../api-client.ts';
import { formatFields, formatTable, formatWhen } from '../format.ts';
import { printJson, type CliContext } from '../output.ts';
import { hasTerminal, promptLine } from '../prompt.ts';
import { clientCommand, type ClientOptions } from './client-command.ts';

type EnvironmentDetail = EnvironmentView & { switches: SwitchView[] };

const environmentPath = (name = '', suffix = '') =>
  `/api/v1/environments${name ? `/${encodeURIComponent(name)}` : ''}${suffix}`;

export function registerEnvironment(program: Command, ctx: CliContext): void {
  const environment = program
    .command('environment')
    .description('Blue/green environments: list, status, switch to another workspace (talks to the API)');

  clientCommand(environment, 'list', 'List environments and the workspace each is assigned to')
    .option('--json', 'print JSON')
    .action(async (options: ClientOptions) => {
      const { items } = await clientFor(options, ctx.env).get<{ items: EnvironmentView[] }>(
        environmentPath(),
      );
      if (options.json) return printJson(ctx.output, items);
      if (items.length === 0) return ctx.output.out('no environments configured');
      ctx.output.out(
        formatTable(
          ['ENVIRONMENT', 'DOMAIN', 'ASSIGNED', 'RESERVED IPS', 'HEALTH CHECK'],
          items.map((e) => [
            e.name,
            e.domain ?? '-',
            e.config_error
              ? 'config error'
              : `${e.assigned_workspace ?? '(none)'}${e.switching_to ? ` → ${e.switching_to}…` : ''}`,
            e.reserved_ips.join(',') || '-',
            e.health_check
              ? `${e.health_check.type}${e.health_check.port ? `:${e.health_check.port}` : ''}`
              : '-',
          ]),
        ),
      );
    });

  clientCommand(environment, 'status', 'Show one environment (or all): assignment, checks, latest switches')
    .argument('[environment]', 'environment name')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, options: ClientOptions) => {
      const client = clientFor(options, ctx.env);
      const names =
        name !== undefined
          ? [name]
          : (await client.get<{ items: EnvironmentView[] }>(environmentPath())).items.map((e) => e.name);
      const details = await Promise.all(names.map((n) => client.get<EnvironmentDetail>(environmentPath(n))));
      if (options.json) return printJson(ctx.output, name !== undefined ? details[0] : details);
      if (details.length === 0) return ctx.output.out('no environments configured');
      ctx.output.out(details.map(describeEnvironment).join('\n\n'));
    });

  clientCommand(environment, 'switch', 'Point an environment at a deployed workspace (operators; audited)')
    .argument('<environment>', 'environment name')
    .argument('<workspace>', 'the workspace to switch to')
    .option('--yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .option('--json', 'print the switch as JSON')
    .action(async (name: string, workspace: string, options: ClientOptions & { yes?: boolean }) => {
      const client = clientFor(options, ctx.env);
      if (!options.yes) {
        if (!hasTerminal(ctx.stdin))
          throw new TideError(
            'invalid_argument',
            `refusing to switch ${name} without confirmation: stdin is not a terminal; use --yes`,
          );
        const current = await client.get<EnvironmentDetail>(environmentPath(name), { switches: 0 });
        const answer = await promptLine(
          ctx.stdin,
          `Switch environment ${name} (${current.domain ?? '?'}; reserved IPs ${current.reserved_ips.join(', ')})\n` +
            `  from ${current.assigned_workspace ?? '(none)'} to ${workspace}?\nType "yes" to confirm: `,
        );
        if (answer !== 'yes') {
          ctx.output.err(`tide: switch of ${name} canceled`);
          ctx.exitCode = 1;
          return;
        }
      }
      let view: SwitchView;
      try {
        view = await client.post<SwitchView>(environmentPath(name, '/switch'), { workspace });
      } catch (error) {
        const failed = (error as TideError).details as { switch?: SwitchView } | undefined;
        if (error instanceof TideError && failed?.switch && !options.json)
          ctx.output.err(describeSwitch(failed.switch));
        if (error instanceof TideError && failed?.switch && options.json)
          printJson(ctx.output, failed.switch);
        throw error;
      }
      if (options.json) return printJson(ctx.output, view);
      if (view.result === 'unchanged')
        return ctx.output.out(`environment ${name} is already assigned to ${workspace}; nothing to do`);
      ctx.output.out(describeSwitch(view));
      ctx.output.out(`environment ${name} switched from ${view.from_workspace ?? '(none)'} to ${workspace}`);
    });
}

function describeEnvironment(e: EnvironmentDetail): string {
  const now = systemClock.now();
  if (e.config_error)
    return formatFields([
      ['Environment', e.name],
      ['File', e.file],
      ['Config error', e.config_error],
    ]);
  const check = e.health_check!;
  const last = e.switches[0];
  return formatFields([
    ['Environment', e.name],
    ['Description', e.description || null],
    ['Domain', e.domain],
    ['File', `${e.file}${e.layout === 'provisioner' ? ' (Provisioner layout)' : ''}`],
    ['Reserved IPs', e.reserved_ips.join(', ')],
    [
      'Assigned',
      e.assigned_workspace === null
        ? '(none)'
        : `${e.assigned_workspace} (${e.assignment_source === 'database' ? `switched ${formatWhen(e.assigned_at, now)} by ${e.assigned_by}` : `from ${e.file}`}); protected from destroy`,
    ],
    ['Switching to', e.switching_to],
    [
      'Health check',
      `${check.type}${check.type === 'http' ? ` ${check.port ?? 80}${check.path}` : ''}${check.type === 'tcp' ? ` port ${check.port}` : ''}${check.command ? ` ${check.command.join(' ')}` : ''}, timeout ${check.timeout}`,
    ],
    ['Targets from', `output ${e.outputs!.addresses} (ids mapped by ${e.outputs!.address_map})`],
    [
      'Action',
      e.action!.template
        ? `template ${e.action!.template}${e.action!.variables?.length ? ` with ${e.action!.variables.join(', ')}` : ''}, applied once per switch (timeout ${e.action!.timeout} per engine command)`
        : `${e.action!.command.join(' ')} (timeout ${e.action!.timeout}${e.action!.implicit ? ', the Provisioner default' : ''})`,
    ],
    [
      'After switch',
      e.verify
        ? 'health check again; the previous assignment restored if it fails'
        : 'no check (verify: false)',
    ],
    [
      'Last switch',
      last
        ? `${last.result} ${last.from_workspace ?? '(none)'} → ${last.to_workspace} ${formatWhen(last.started_at, now)} by ${last.actor}${last.reason ? `: ${last.reason}` : ''}`
        : null,
    ],
  ]);
}

function describeSwitch(view: SwitchView): string {
  const lines: string[] = [];
  for (const check of view.checks) lines.push(`health ${check.ok ? 'ok  ' : 'FAIL'} ${check.detail}`);
  const actions = (label: string, list: SwitchView['actions']) => {
    for (const action of list) {
      lines.push(
        `${label} ${action.ok ? 'ok  ' : 'FAIL'} ${action.argv.join(' ')}${action.exit_code === null ? '' : ` (exit ${action.exit_code})`}`,
      );
      for (const line of action.output.trimEnd().split('\n')) if (line) lines.push(`    ${line}`);
    }
  };
  actions('action ', view.actions);
  for (const check of view.verification) lines.push(`verify ${check.ok ? 'ok  ' : 'FAIL'} ${check.detail}`);
  if (view.restore) {
    if (view.restore.error) lines.push(`restore FAIL ${view.restore.error}`);
    actions('restore', view.restore.actions);
  }
  return lines.join('\n');
}
