/**
 * `tide state list|show|pull|rollback <workspace>`: a thin client of /api/v1/workspaces/{name}/state.
 * Listing and showing need a reader; the content (pull) and a rollback need an admin, since state holds
 * every attribute of every resource, secrets included.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { TideError } from '../../errors/tide-error.ts';
import type { StateVersionView, StateView } from '../../state/state.service.ts';
import { systemClock } from '../../time/clock.ts';
import { clientFor } from '../api-client.ts';
import { formatFields, formatTable, formatWhen } from '../format.ts';
import { printJson, type CliContext } from '../output.ts';
import { hasTerminal, promptLine } from '../prompt.ts';
import { clientCommand, type ClientOptions } from './client-command.ts';

function statePath(name: string, suffix = ''): string {
  return `/api/v1/workspaces/${encodeURIComponent(name)}/state${suffix}`;
}

function parseSerial(text: string): number {
  if (!/^\d{1,15}$/.test(text))
    throw new TideError('invalid_argument', `not a serial: "${text}" (want a whole number)`);
  return Number(text);
}

export function registerState(program: Command, ctx: CliContext): void {
  const state = program
    .command('state')
    .description("A workspace's state in Tide's backend: versions, content, rollback (talks to the API)");

  clientCommand(state, 'list', "List a workspace's state versions, newest first")
    .argument('<workspace>', 'workspace name')
    .option('--limit <n>', 'at most this many versions (1–500)', '50')
    .option('--json', 'print JSON')
    .action(async (name: string, options: ClientOptions & { limit: string }) => {
      const view = await clientFor(options, ctx.env).get<StateView>(statePath(name), {
        limit: options.limit,
      });
      if (options.json) return printJson(ctx.output, view);
      if (view.versions.length === 0) return ctx.output.out(`${name} has no state in Tide yet`);
      const now = systemClock.now();
      ctx.output.out(
        formatTable(
          ['SERIAL', 'WRITTEN', 'BY', 'SIZE', 'LINEAGE'],
          view.versions.map((v) => [
            v.deleted ? `${v.serial} (deleted)` : String(v.serial),
            formatWhen(v.created_at, now),
            v.written_by,
            formatSize(v.size),
            v.lineage.slice(0, 8),
          ]),
        ),
      );
      if (view.total > view.versions.length)
        ctx.output.out(`${view.versions.length} of ${view.total} versions (--limit for more)`);
    });

  clientCommand(state, 'show', "Show a workspace's latest state version (or --serial) and its lock")
    .argument('<workspace>', 'workspace name')
    .option('--serial <n>', 'this version instead of the latest')
    .option('--json', 'print JSON')
    .action(async (name: string, options: ClientOptions & { serial?: string }) => {
      const view = await clientFor(options, ctx.env).get<StateView>(statePath(name), { limit: 500 });
      const serial = options.serial === undefined ? undefined : parseSerial(options.serial);
      const version =
        serial === undefined ? view.versions[0] : view.versions.find((v) => v.serial === serial);
      if (!version)
        throw new TideError(
          'not_found',
          serial === undefined
            ? `${name} has no state in Tide yet`
            : `${name} has no state with serial ${serial}`,
        );
      if (options.json) return printJson(ctx.output, { version, lock: view.lock, total: view.total });
      ctx.output.out(describeVersion(name, version, view));
    });

  clientCommand(state, 'pull', "Print a workspace's state (the latest, or --serial) as JSON; admins only")
    .argument('<workspace>', 'workspace name')
    .option('--serial <n>', 'this version instead of the latest')
    .option('-o, --output <file>', 'write it to this file (created 0600) instead of stdout')
    .action(async (name: string, options: ClientOptions & { serial?: string; output?: string }) => {
      const serial = options.serial === undefined ? undefined : parseSerial(options.serial);
      const content = await clientFor(options, ctx.env).get<unknown>(statePath(name, '/content'), { serial });
      const text = `${JSON.stringify(content, null, 2)}\n`;
      if (!options.output) return ctx.output.out(text.trimEnd());
      await writeFile(options.output, text, { mode: 0o600, flag: 'wx' }).catch(
        (error: NodeJS.ErrnoException) => {
          throw new TideError(
            'invalid_argument',
            error.code === 'EEXIST'
              ? `${options.output} already exists: state is not written over a file`
              : `cannot write ${options.output}: ${error.message}`,
          );
        },
      );
      ctx.output.err(`wrote the state of ${name} to ${options.output}`);
    });

  clientCommand(state, 'rollback', 'Make an earlier state version the latest again (admins only; audited)')
    .argument('<workspace>', 'workspace name')
    .argument('<serial>', 'the version to go back to')
    .option('--yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .option('--json', 'print the new version as JSON')
    .action(async (name: string, serialText: string, options: ClientOptions & { yes?: boolean }) => {
      const serial = parseSerial(serialText);
      if (!options.yes) {
        if (!hasTerminal(ctx.stdin))
          throw new TideError(
            'invalid_argument',
            `refusing to roll back the state of ${name} without confirmation: stdin is not a terminal; use --yes`,
          );
        const answer = await promptLine(
          ctx.stdin,
          `Roll back the state of ${name} to serial ${serial}? The next run plans against it.\nType "yes" to confirm: `,
        );
        if (answer !== 'yes') {
          ctx.output.err(`tide: rollback of ${name} canceled`);
          ctx.exitCode = 1;
          return;
        }
      }
      const version = await clientFor(options, ctx.env).post<StateVersionView>(statePath(name, '/rollback'), {
        serial,
      });
      if (options.json) return printJson(ctx.output, version);
      ctx.output.out(
        `state of ${name} rolled back: serial ${serial} is now the latest, as serial ${version.serial}`,
      );
    });
}

function describeVersion(name: string, version: StateVersionView, view: StateView): string {
  const now = systemClock.now();
  return formatFields([
    ['Workspace', name],
    ['Serial', version.deleted ? `${version.serial} (deleted by the engine)` : String(version.serial)],
    ['Lineage', version.lineage],
    ['Written', formatWhen(version.created_at, now)],
    ['By', version.written_by],
    ['Size', formatSize(version.size)],
    ['SHA-256', version.checksum],
    ['Versions', String(view.total)],
    [
      'Lock',
      view.lock ? `held by run ${view.lock.run_id} since ${formatWhen(view.lock.since, now)}` : 'none',
    ],
  ]);
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
