/**
 * `tide savings [--since …] [--until …] [--bucket day|week|month] [--workspace …] [--json]`: a thin client of
 * GET /api/v1/savings (docs/savings.md). Prints the hours each workspace was down because of its schedule
 * and the money saved, per workspace and per bucket in total.
 */
import type { Command } from 'commander';
import type { SavingsView } from '../../savings/savings.service.ts';
import { clientFor } from '../api-client.ts';
import { formatTable } from '../format.ts';
import { printJson, type CliContext } from '../output.ts';
import { clientCommand, type ClientOptions } from './client-command.ts';

interface SavingsOptions extends ClientOptions {
  since?: string;
  until?: string;
  bucket?: string;
  workspace?: string;
}

/** Hours and money: at most two decimals, no trailing zeros. */
const figure = (value: number): string => String(Math.round(value * 100) / 100);

export function registerSavings(program: Command, ctx: CliContext): void {
  clientCommand(
    program,
    'savings',
    'Hours workspaces were down because of their schedule, and the money saved',
  )
    .option('--since <instant>', 'start of the period, ISO 8601 (default: the start of this UTC month)')
    .option('--until <instant>', 'end of the period, ISO 8601 (default: now)')
    .option('--bucket <size>', 'day, week or month (UTC; default day)')
    .option('--workspace <name>', 'only this workspace')
    .option('--json', 'print JSON')
    .action(async (options: SavingsOptions) => {
      const query = new URLSearchParams();
      for (const key of ['since', 'until', 'bucket', 'workspace'] as const) {
        const value = options[key];
        if (value !== undefined) query.set(key, value);
      }
      const suffix = query.size > 0 ? `?${query.toString()}` : '';
      const report = await clientFor(options, ctx.env).get<SavingsView>(`/api/v1/savings${suffix}`);
      if (options.json) return printJson(ctx.output, report);
      ctx.output.out(`savings from ${report.since} to ${report.until}, per ${report.bucket} (UTC)`);
      if (report.workspaces.length === 0) {
        ctx.output.out('no workspace with an hourly_cost');
      } else {
        ctx.output.out(
          formatTable(
            ['WORKSPACE', 'HOURLY COST', 'DOWN HOURS', 'SAVED'],
            [
              ...report.workspaces.map((w) => [
                w.workspace,
                figure(w.hourly_cost),
                figure(w.down_hours),
                figure(w.saved),
              ]),
              ['TOTAL', '', figure(report.total.down_hours), figure(report.total.saved)],
            ],
          ),
        );
        ctx.output.out('');
        ctx.output.out(
          formatTable(
            [report.bucket.toUpperCase(), 'DOWN HOURS', 'SAVED'],
            report.total.buckets.map((b) => [b.start.slice(0, 10), figure(b.down_hours), figure(b.saved)]),
          ),
        );
      }
      if (report.excluded.length > 0)
        ctx.output.out(`excluded (no hourly_cost): ${report.excluded.join(', ')}`);
    });
}
