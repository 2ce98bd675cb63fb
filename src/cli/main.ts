import { Command, CommanderError } from 'commander';
import { toTideError, TideError } from '../errors/tide-error.ts';
import { registerAudit } from './commands/audit.ts';
import { registerDbMigrate } from './commands/db-migrate.ts';
import { registerLogin } from './commands/login.ts';
import { registerRun } from './commands/run.ts';
import { registerSchedulePreview } from './commands/schedule-preview.ts';
import { registerServe } from './commands/serve.ts';
import { registerToken } from './commands/token.ts';
import { registerUser } from './commands/user.ts';
import { registerValidate } from './commands/validate.ts';
import { registerWorkspace } from './commands/workspace.ts';
import { processOutput, type CliContext, type Output } from './output.ts';
import { tideVersion } from './version.ts';

export function buildProgram(ctx: CliContext): Command {
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
  registerValidate(program, ctx);
  registerSchedulePreview(program, ctx);
  registerServe(program, ctx);
  registerDbMigrate(program, ctx);
  registerAudit(program, ctx);
  registerWorkspace(program, ctx);
  registerRun(program, ctx);
  registerLogin(program, ctx);
  registerUser(program, ctx);
  registerToken(program, ctx);
  return program;
}

/** Runs the CLI; failures print one line and set the exit code from the error catalogue. */
export async function runCli(argv: string[], output: Output = processOutput): Promise<number> {
  const ctx: CliContext = { output, exitCode: 0 };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are successful exits; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : new TideError('invalid_argument', error.message).exitCode;
    }
    const tideError = toTideError(error);
    output.err(`tide: ${tideError.message}`);
    if (tideError.code === 'internal' && process.env.TIDE_LOG_LEVEL === 'debug')
      output.err(String((error as Error).stack));
    return tideError.exitCode;
  }
}
