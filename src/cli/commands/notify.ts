/**
 * `tide notify test|deliveries` and `tide secret set|list|remove` (docs/notifications.md): thin clients
 * of /api/v1/notifications and /api/v1/secrets. A secret's value is read from stdin, never from the
 * command line, where `ps` and shell history would show it.
 */
import type { Command } from 'commander';
import { TideError } from '../../errors/tide-error.ts';
import type { DeliveryView } from '../../notification/outbox.repo.ts';
import { systemClock } from '../../time/clock.ts';
import { clientFor } from '../api-client.ts';
import { formatTable, formatWhen } from '../format.ts';
import { printJson, type CliContext } from '../output.ts';
import { readStdin } from '../prompt.ts';
import { clientCommand, type ClientOptions } from './client-command.ts';

interface TestResult {
  target: string;
  ok: boolean;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

interface DeliveriesOptions extends ClientOptions {
  workspace?: string;
  event?: string;
  status?: string;
  limit?: string;
}

export function registerNotify(program: Command, ctx: CliContext): void {
  const notify = program.command('notify').description('Notifications: test targets, read the delivery log');

  clientCommand(notify, 'test', 'Send a test notification to a target of notifications.yaml now (admin)')
    .argument('<target>', 'target name')
    .option('--json', 'print JSON')
    .action(async (target: string, options: ClientOptions) => {
      const result = await clientFor(options, ctx.env).post<TestResult>('/api/v1/notifications/test', {
        target,
      });
      if (options.json) printJson(ctx.output, result);
      else if (result.ok)
        ctx.output.out(`delivered to ${target} (${result.status_code ?? '-'}, ${result.duration_ms} ms)`);
      else ctx.output.out(`not delivered to ${target}: ${result.error ?? 'unknown error'}`);
      // A failed test is a failed command: scripts checking a target see it in the exit code.
      if (!result.ok) throw new TideError('unreachable', `test notification to "${target}" failed`);
    });

  clientCommand(notify, 'deliveries', 'The delivery log, newest first: one line per attempt')
    .option('--workspace <name>', 'only this workspace')
    .option('--event <type>', 'only this event type (run_failed, …)')
    .option('--status <outcome>', 'delivered, retry or failed')
    .option('--limit <n>', 'how many (default 50)')
    .option('--json', 'print JSON')
    .action(async (options: DeliveriesOptions) => {
      const page = await clientFor(options, ctx.env).get<{ items: DeliveryView[] }>(
        '/api/v1/notifications/deliveries',
        {
          workspace: options.workspace,
          event: options.event,
          status: options.status,
          limit: options.limit,
        },
      );
      if (options.json) return printJson(ctx.output, page.items);
      if (page.items.length === 0) return ctx.output.out('No deliveries');
      const now = systemClock.now();
      ctx.output.out(
        formatTable(
          ['WHEN', 'EVENT', 'WORKSPACE', 'TARGET', 'ATTEMPT', 'OUTCOME', 'STATUS', 'ERROR'],
          page.items.map((d) => [
            formatWhen(d.created_at, now),
            d.event,
            d.workspace ?? '-',
            d.target,
            String(d.attempt),
            d.outcome,
            d.status_code === null ? '-' : String(d.status_code),
            d.error ?? '',
          ]),
        ),
      );
    });
}

export function registerSecret(program: Command, ctx: CliContext): void {
  const secret = program
    .command('secret')
    .description('Global secrets the configuration names (webhook keys, Slack/Teams URLs, SMTP password)');

  clientCommand(secret, 'set', 'Set a global secret from stdin (admin); the value is never shown again')
    .argument('<name>', 'secret name, as written in notifications.yaml')
    .action(async (name: string, options: ClientOptions) => {
      const value = await readStdin(ctx.stdin);
      if (value === '') throw new TideError('invalid_argument', 'no value on stdin');
      await clientFor(options, ctx.env).put(`/api/v1/secrets/${encodeURIComponent(name)}`, { value });
      ctx.output.out(`secret ${name} set`);
    });

  clientCommand(secret, 'list', 'Names of the global secrets and when each was set (admin)')
    .option('--json', 'print JSON')
    .action(async (options: ClientOptions) => {
      const { items } = await clientFor(options, ctx.env).get<{
        items: { name: string; updated_at: string }[];
      }>('/api/v1/secrets');
      if (options.json) return printJson(ctx.output, items);
      if (items.length === 0) return ctx.output.out('No global secrets');
      const now = systemClock.now();
      ctx.output.out(
        formatTable(
          ['NAME', 'SET'],
          items.map((s) => [s.name, formatWhen(s.updated_at, now)]),
        ),
      );
    });

  clientCommand(secret, 'remove', 'Delete a global secret (admin)')
    .argument('<name>', 'secret name')
    .action(async (name: string, options: ClientOptions) => {
      await clientFor(options, ctx.env).delete(`/api/v1/secrets/${encodeURIComponent(name)}`);
      ctx.output.out(`secret ${name} removed`);
    });
}
