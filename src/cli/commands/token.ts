/**
 * `tide token create|list|revoke`: API tokens for scripts and CI, a thin client of /api/v1/tokens.
 * `create` prints the secret alone on stdout (`TOKEN=$(tide token create ci --role operator)`); it is
 * shown this once and stored only hashed.
 */
import type { Command } from 'commander';
import type { ApiTokenView } from '../../auth/api-token.service.ts';
import { systemClock } from '../../time/clock.ts';
import { clientFor } from '../api-client.ts';
import { formatTable, formatWhen } from '../format.ts';
import { printJson, type CliContext } from '../output.ts';
import { clientCommand, type ClientOptions } from './client-command.ts';
import { splitPatterns } from './user.ts';

interface CreateOptions extends ClientOptions {
  role: string;
  workspaces?: string;
  expiresIn?: string;
}

export function registerToken(program: Command, ctx: CliContext): void {
  const token = program.command('token').description('API tokens for scripts and CI (talks to the API)');

  clientCommand(token, 'create', 'Create an API token and print its secret (shown only once)')
    .argument('<name>', 'token name, unique among live tokens (it names the token in the audit log)')
    .requiredOption('--role <role>', 'admin, operator or viewer (at most your own)')
    .option('--workspaces <patterns>', "comma-separated workspace patterns, e.g. 'team-a-*' (default: yours)")
    .option('--expires-in <duration>', 'lifetime such as 30d or 12h (default: until revoked)')
    .option('--json', 'print the token and its details as JSON')
    .action(async (name: string, options: CreateOptions) => {
      const created = await clientFor(options, ctx.env).post<ApiTokenView & { token: string }>(
        '/api/v1/tokens',
        {
          name,
          role: options.role,
          ...(options.workspaces === undefined ? {} : { workspaces: splitPatterns(options.workspaces) }),
          ...(options.expiresIn === undefined ? {} : { expires_in: options.expiresIn }),
        },
      );
      if (options.json) return printJson(ctx.output, created);
      ctx.output.out(created.token);
      ctx.output.err(
        `Created token ${created.name} (id ${created.id}, ${created.role}${created.expires_at ? `, expires ${created.expires_at}` : ''}); store the secret now, it is not shown again`,
      );
    });

  clientCommand(token, 'list', 'List your API tokens (an admin sees everyone’s)')
    .option('--json', 'print JSON')
    .action(async (options: ClientOptions) => {
      const { items } = await clientFor(options, ctx.env).get<{ items: ApiTokenView[] }>('/api/v1/tokens');
      if (options.json) return printJson(ctx.output, items);
      const now = systemClock.now();
      ctx.output.out(
        formatTable(
          ['ID', 'NAME', 'OWNER', 'ROLE', 'WORKSPACES', 'CREATED', 'EXPIRES', 'STATE'],
          items.map((t) => [
            t.id,
            t.name,
            t.owner,
            t.role,
            t.workspaces?.join(',') ?? '*',
            formatWhen(t.created_at, now),
            formatWhen(t.expires_at, now),
            t.revoked_at
              ? 'revoked'
              : t.expires_at && Date.parse(t.expires_at) <= now.getTime()
                ? 'expired'
                : 'active',
          ]),
        ),
      );
    });

  clientCommand(token, 'revoke', 'Revoke an API token by id; the next request with it is refused')
    .argument('<id>', 'token id (from `tide token list`)')
    .action(async (id: string, options: ClientOptions) => {
      await clientFor(options, ctx.env).delete(`/api/v1/tokens/${encodeURIComponent(id)}`);
      ctx.output.out(`Token ${id} revoked`);
    });
}
