/**
 * `tide template list|add|show|refresh|remove`: templates from git, a thin client of /api/v1/templates.
 * Reading needs any role; add, refresh and remove need an admin. A credential is read from stdin
 * (`--credential-stdin`), never from the command line, where `ps` and shell history would show it.
 */
import type { Command } from 'commander';
import { TideError } from '../../errors/tide-error.ts';
import type { RefreshResult, TemplateView } from '../../template/template.service.ts';
import { systemClock } from '../../time/clock.ts';
import { clientFor } from '../api-client.ts';
import { formatFields, formatTable, formatWhen } from '../format.ts';
import { printJson, type CliContext } from '../output.ts';
import { hasTerminal, promptLine, readStdin } from '../prompt.ts';
import { clientCommand, type ClientOptions } from './client-command.ts';

interface AddOptions extends ClientOptions {
  ref?: string;
  path?: string;
  description?: string;
  credentialStdin?: boolean;
  credentialSecret?: string;
}

function templatePath(name: string, suffix = ''): string {
  return `/api/v1/templates/${encodeURIComponent(name)}${suffix}`;
}

const short = (commit: string) => commit.slice(0, 12);

export function registerTemplate(program: Command, ctx: CliContext): void {
  const template = program
    .command('template')
    .description('Templates from git, pinned to a commit (talks to the API)');

  clientCommand(template, 'list', 'List templates from git: source, ref, pinned commit')
    .option('--json', 'print JSON')
    .action(async (options: ClientOptions) => {
      const { items } = await clientFor(options, ctx.env).get<{ items: TemplateView[] }>('/api/v1/templates');
      if (options.json) return printJson(ctx.output, items);
      if (items.length === 0) return ctx.output.out('No templates from git (local ones live in templates/)');
      const now = systemClock.now();
      ctx.output.out(
        formatTable(
          ['NAME', 'SOURCE', 'REF', 'COMMIT', 'REFRESHED', 'USED BY'],
          items.map((t) => [
            t.name,
            t.subdir ? `${t.url}//${t.subdir}` : t.url,
            t.ref,
            short(t.commit),
            formatWhen(t.refreshed_at, now),
            t.used_by.join(',') || '-',
          ]),
        ),
      );
    });

  clientCommand(template, 'add', 'Register a template from git, pinned to the commit its ref names now')
    .argument('<name>', 'template name (what workspaces put in "template")')
    .argument('<url>', 'git URL: https://, ssh://, git://, file:// or user@host:path (no password in it)')
    .option('--ref <ref>', 'branch, tag, full ref or commit', 'main')
    .option('--path <dir>', 'subdirectory of the repository holding the template (default: its root)')
    .option('--description <text>', 'what the template is for')
    .option('--credential-stdin', 'read a token or user:password for a private repository from stdin')
    .option('--credential-secret <name>', 'store the credential under this name, or use one stored before')
    .option('--json', 'print the template as JSON')
    .action(async (name: string, url: string, options: AddOptions) => {
      let credential: string | undefined;
      if (options.credentialStdin) {
        credential = await readStdin(ctx.stdin);
        if (credential === '') throw new TideError('invalid_argument', 'no credential on stdin');
      }
      const view = await clientFor(options, ctx.env).post<TemplateView>('/api/v1/templates', {
        name,
        url,
        ref: options.ref,
        ...(options.path === undefined ? {} : { subdir: options.path }),
        ...(options.description === undefined ? {} : { description: options.description }),
        ...(credential === undefined ? {} : { credential }),
        ...(options.credentialSecret === undefined ? {} : { credential_secret: options.credentialSecret }),
      });
      if (options.json) return printJson(ctx.output, view);
      ctx.output.out(`Template ${view.name} pinned to ${short(view.commit)} (${view.ref})`);
    });

  clientCommand(template, 'show', 'Show a template: source, pinned commit, content hash, who uses it')
    .argument('<name>', 'template name')
    .option('--json', 'print JSON')
    .action(async (name: string, options: ClientOptions) => {
      const view = await clientFor(options, ctx.env).get<TemplateView>(templatePath(name));
      if (options.json) return printJson(ctx.output, view);
      const now = systemClock.now();
      ctx.output.out(
        formatFields([
          ['Name', view.name],
          ['Source', view.url],
          ['Path', view.subdir || '(repository root)'],
          ['Ref', view.ref],
          ['Commit', view.commit],
          ['Content hash', view.content_hash],
          ['Description', view.description || null],
          ['Credential', view.credential_secret],
          ['Created', `${formatWhen(view.created_at, now)} by ${view.created_by}`],
          ['Refreshed', `${formatWhen(view.refreshed_at, now)} by ${view.refreshed_by}`],
          ['Used by', view.used_by.join(', ') || 'nothing'],
        ]),
      );
    });

  clientCommand(template, 'refresh', 'Resolve the ref again and pin the commit it names now')
    .argument('<name>', 'template name')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, options: ClientOptions) => {
      const result = await clientFor(options, ctx.env).post<RefreshResult>(templatePath(name, '/refresh'));
      if (options.json) return printJson(ctx.output, result);
      const { template: view } = result;
      ctx.output.out(
        result.changed
          ? `Template ${name} pinned to ${short(view.commit)} (was ${short(result.previous_commit)}); the next deploy of each workspace on it applies it, like a change to its own files`
          : `Template ${name} unchanged at ${short(view.commit)} (${view.ref})`,
      );
    });

  clientCommand(template, 'remove', 'Unregister a template (refused while a workspace or job uses it)')
    .argument('<name>', 'template name')
    .option('--yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .action(async (name: string, options: ClientOptions & { yes?: boolean }) => {
      if (!options.yes) {
        if (!hasTerminal(ctx.stdin))
          throw new TideError(
            'invalid_argument',
            `refusing to remove template ${name} without confirmation: stdin is not a terminal; use --yes`,
          );
        const answer = await promptLine(ctx.stdin, `Remove template ${name}?\nType "yes" to confirm: `);
        if (answer !== 'yes') {
          ctx.output.err(`tide: removal of template ${name} canceled`);
          ctx.exitCode = 1;
          return;
        }
      }
      await clientFor(options, ctx.env).delete(templatePath(name));
      ctx.output.out(`Template ${name} removed`);
    });
}
