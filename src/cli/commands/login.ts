/**
 * `tide login [--url] [--username] [--password-stdin]` and `tide logout`: a session with one server,
 * kept in the credentials file (src/cli/credentials.ts) and refreshed by every later command.
 */
import type { Command } from 'commander';
import { ApiClient, clientFor, serverUrl } from '../api-client.ts';
import {
  credentialsPath,
  readCredentials,
  removeCredentials,
  saveCredentials,
  toStored,
  type TokenAnswer,
} from '../credentials.ts';
import type { CliContext, CliInput } from '../output.ts';
import { hasTerminal, promptLine, readPassword } from '../prompt.ts';
import { TideError } from '../../errors/tide-error.ts';
import { clientCommand } from './client-command.ts';

interface LoginOptions {
  url?: string;
  username?: string;
  passwordStdin?: boolean;
}

export function registerLogin(program: Command, ctx: CliContext): void {
  clientCommand(program, 'login', 'Log in to a Tide server and keep the session for later commands')
    .option('--username <name>', 'user to log in as (asked on a terminal otherwise)')
    .option('--password-stdin', 'read the password from stdin (for scripts)')
    .action(async (options: LoginOptions) => {
      const url = serverUrl(options, ctx.env);
      // stdin carries the password then, so there is no terminal left to ask the name on.
      if (options.passwordStdin && options.username === undefined)
        throw new TideError('invalid_argument', '--password-stdin needs --username');
      const username = options.username ?? (await askUsername(ctx.stdin));
      const password = await readPassword(ctx.stdin, { stdin: options.passwordStdin ?? false });
      const answer = await new ApiClient(url).post<TokenAnswer>('/api/v1/auth/login', { username, password });
      const me = await new ApiClient(url, fetch, {
        header: async () => `Bearer ${answer.access_token}`,
        renew: async () => false,
        hint: 'the new session was refused',
      }).get<{ username: string; role: string }>('/api/v1/me');
      saveCredentials(url, toStored(me.username, answer, new Date()), credentialsPath(ctx.env));
      ctx.output.out(`Logged in to ${url.replace(/\/+$/, '')} as ${me.username} (${me.role})`);
    });

  clientCommand(program, 'logout', 'End the session with a Tide server and forget its credentials').action(
    async (options: { url?: string }) => {
      const url = serverUrl(options, ctx.env);
      const file = credentialsPath(ctx.env);
      const saved = readCredentials(url, file);
      if (!saved) {
        ctx.output.out(`Not logged in to ${url.replace(/\/+$/, '')}`);
        return;
      }
      // The session ends on the server first; the local copy goes even if the server is gone or refuses.
      try {
        await clientFor(options, ctx.env).post('/api/v1/auth/logout', { refresh_token: saved.refresh_token });
      } catch (error) {
        if (!(error instanceof TideError) || !['unauthenticated', 'unreachable'].includes(error.code))
          throw error;
      } finally {
        removeCredentials(url, file);
      }
      ctx.output.out(`Logged out of ${url.replace(/\/+$/, '')}`);
    },
  );
}

async function askUsername(input: CliInput): Promise<string> {
  if (!hasTerminal(input))
    throw new TideError('invalid_argument', 'stdin is not a terminal: pass --username');
  const name = await promptLine(input, 'Username: ');
  if (name === '') throw new TideError('invalid_argument', 'no username given');
  return name;
}
