/** `tide user add|list|passwd|unlock`: a thin client of /api/v1/users (admins only; the server decides). */
import type { Command } from 'commander';
import type { UserView } from '../../auth/user.ts';
import { systemClock } from '../../time/clock.ts';
import { clientFor } from '../api-client.ts';
import { formatTable, formatWhen } from '../format.ts';
import { printJson, type CliContext } from '../output.ts';
import { readPassword } from '../prompt.ts';
import { clientCommand, type ClientOptions } from './client-command.ts';

type ListedUser = UserView & { locked_until: string | null };

interface AddOptions extends ClientOptions {
  role: string;
  workspaces?: string;
  passwordStdin?: boolean;
}

function userPath(name: string, suffix = ''): string {
  return `/api/v1/users/${encodeURIComponent(name)}${suffix}`;
}

/** `team-a-*,shared` → ['team-a-*', 'shared']; the server validates each pattern. */
export function splitPatterns(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  return text
    .split(',')
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '');
}

export function registerUser(program: Command, ctx: CliContext): void {
  const user = program.command('user').description('Users of a Tide server (admins only; talks to the API)');

  clientCommand(user, 'add', 'Create a user (password asked on a terminal, or --password-stdin)')
    .argument('<name>', 'username (lower-case)')
    .requiredOption('--role <role>', 'admin, operator or viewer')
    .option(
      '--workspaces <patterns>',
      "comma-separated workspace patterns, e.g. 'team-a-*,shared' (default: all)",
    )
    .option('--password-stdin', 'read the password from stdin')
    .option('--json', 'print the user as JSON')
    .action(async (name: string, options: AddOptions) => {
      const password = await readPassword(ctx.stdin, {
        stdin: options.passwordStdin ?? false,
        confirm: true,
      });
      const created = await clientFor(options, ctx.env).post<ListedUser>('/api/v1/users', {
        username: name,
        password,
        role: options.role,
        ...(options.workspaces === undefined ? {} : { workspaces: splitPatterns(options.workspaces) }),
      });
      if (options.json) printJson(ctx.output, created);
      else ctx.output.out(`Created ${created.username} (${created.role}${scopeText(created.workspaces)})`);
    });

  clientCommand(user, 'list', 'List users')
    .option('--json', 'print JSON')
    .action(async (options: ClientOptions) => {
      const { items } = await clientFor(options, ctx.env).get<{ items: ListedUser[] }>('/api/v1/users');
      if (options.json) return printJson(ctx.output, items);
      const now = systemClock.now();
      ctx.output.out(
        formatTable(
          ['USERNAME', 'ROLE', 'WORKSPACES', 'STATE', 'PASSWORD CHANGED'],
          items.map((u) => [
            u.username,
            u.role,
            u.workspaces?.join(',') ?? '*',
            u.disabled
              ? 'disabled'
              : u.locked_until
                ? `locked until ${formatWhen(u.locked_until, now)}`
                : 'active',
            formatWhen(u.password_changed_at, now),
          ]),
        ),
      );
    });

  clientCommand(user, 'passwd', "Set a user's password (ends their sessions)")
    .argument('<name>', 'username')
    .option('--password-stdin', 'read the new password from stdin')
    .action(async (name: string, options: ClientOptions & { passwordStdin?: boolean }) => {
      const password = await readPassword(ctx.stdin, {
        stdin: options.passwordStdin ?? false,
        confirm: true,
        label: 'New password',
      });
      await clientFor(options, ctx.env).post(userPath(name, '/password'), { password });
      ctx.output.out(`Password of ${name} changed; their sessions are ended`);
    });

  clientCommand(user, 'unlock', 'Lift a login lockout of the account')
    .argument('<name>', 'username')
    .action(async (name: string, options: ClientOptions) => {
      await clientFor(options, ctx.env).post(userPath(name, '/unlock'));
      ctx.output.out(`${name} is unlocked`);
    });
}

function scopeText(workspaces: readonly string[] | null): string {
  return workspaces ? `, workspaces ${workspaces.join(',')}` : '';
}
