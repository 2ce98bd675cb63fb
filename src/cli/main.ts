import { Command, CommanderError } from 'commander';
import { toTideError, TideError } from '../errors/tide-error.ts';
import { exitQuietlyOnBrokenPipe, processIo, type CliContext, type CliIo } from './output.ts';
import { tideVersion } from '../version/version.ts';
import { applyProvisionerFallbacks } from '../env/provisioner-fallbacks.ts';

type Register = (program: Command, ctx: CliContext) => void;

const login = async (): Promise<Register> => (await import('./commands/login.ts')).registerLogin;

/**
 * Every top-level command and how to load it, in the order `tide --help` lists them. A command's module
 * is imported only when that command runs: the API client commands and `--version` must not pay for the
 * server, the database drivers and argon2 (docs/decisions/012-compiled-javascript.md).
 */
const commandModules: Readonly<Record<string, () => Promise<Register>>> = {
  validate: async () => (await import('./commands/validate.ts')).registerValidate,
  schedule: async () => (await import('./commands/schedule-preview.ts')).registerSchedulePreview,
  serve: async () => (await import('./commands/serve.ts')).registerServe,
  db: async () => (await import('./commands/db-migrate.ts')).registerDbMigrate,
  doctor: async () => (await import('./commands/doctor.ts')).registerDoctor,
  audit: async () => (await import('./commands/audit.ts')).registerAudit,
  backup: async () => (await import('./commands/backup.ts')).registerBackup,
  workspace: async () => (await import('./commands/workspace.ts')).registerWorkspace,
  run: async () => (await import('./commands/run.ts')).registerRun,
  job: async () => (await import('./commands/job.ts')).registerJob,
  state: async () => (await import('./commands/state.ts')).registerState,
  import: async () => (await import('./commands/import.ts')).registerImport,
  template: async () => (await import('./commands/template.ts')).registerTemplate,
  environment: async () => (await import('./commands/environment.ts')).registerEnvironment,
  savings: async () => (await import('./commands/savings.ts')).registerSavings,
  override: async () => (await import('./commands/override.ts')).registerOverride,
  notify: async () => (await import('./commands/notify.ts')).registerNotify,
  secret: async () => (await import('./commands/notify.ts')).registerSecret,
  login,
  logout: login,
  user: async () => (await import('./commands/user.ts')).registerUser,
  token: async () => (await import('./commands/token.ts')).registerToken,
};

/**
 * The command modules `argv` needs: the one it names; none for a bare `--version`; all of them otherwise
 * (help lists them, and an unknown name is answered with the closest known one).
 */
export function commandsFor(argv: readonly string[]): (() => Promise<Register>)[] {
  const name = argv.find((arg) => !arg.startsWith('-'));
  if (name !== undefined && Object.hasOwn(commandModules, name)) return [commandModules[name]!];
  if (name === undefined && argv.some((arg) => arg === '-v' || arg === '--version')) return [];
  return [...new Set(Object.values(commandModules))];
}

export async function buildProgram(ctx: CliContext, argv: readonly string[]): Promise<Command> {
  const { output } = ctx;
  const program = new Command('tide')
    .description('Tide: a self-hosted scheduler for OpenTofu workspaces')
    .version(tideVersion, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => output.out(text.trimEnd()),
      writeErr: (text) => output.err(text.trimEnd()),
    })
    .exitOverride();
  for (const load of commandsFor(argv)) (await load())(program, ctx);
  return program;
}

/** Runs the CLI; failures print one line and set the exit code from the error catalogue. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  // The Provisioner's directory variables stand in for Tide's, with a notice (src/env/provisioner-fallbacks.ts).
  const fallbacks = applyProvisionerFallbacks(io.env);
  for (const notice of fallbacks.notices) io.output.err(`tide: warning: ${notice}`);
  const ctx: CliContext = { ...io, env: fallbacks.env, exitCode: 0 };
  try {
    const program = await buildProgram(ctx, argv);
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are successful exits; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : new TideError('invalid_argument', error.message).exitCode;
    }
    const tideError = toTideError(error);
    io.output.err(`tide: ${tideError.message}`);
    if (tideError.code === 'internal' && io.env.TIDE_LOG_LEVEL === 'debug')
      io.output.err(String((error as Error).stack));
    return tideError.exitCode;
  }
}

/** The `tide` executable (bin/tide.js): this process's arguments, environment and streams. */
export async function main(): Promise<void> {
  exitQuietlyOnBrokenPipe();
  process.exitCode = await runCli(process.argv.slice(2), processIo());
}
