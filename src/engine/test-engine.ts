/**
 * Test support: the real engine found on this machine (terraform here; tofu where installed) and an
 * environment that keeps it quiet and offline. Not used by production code.
 */
import { runProcess } from './process-group.ts';
import { discoverEngine, type Engine } from './engine.ts';

let found: Promise<Engine> | undefined;

export function testEngine(): Promise<Engine> {
  found ??= discoverEngine({ tofuBin: process.env.TIDE_TOFU_BIN, path: process.env.PATH });
  return found;
}

/** The daemon environment for tests: no CLI config file (a missing one only adds warnings), no checkpoint calls. */
export const testEnv: NodeJS.ProcessEnv = {
  ...process.env,
  TF_CLI_CONFIG_FILE: '/dev/null',
  CHECKPOINT_DISABLE: '1',
  TF_IN_AUTOMATION: '1',
};

/** Runs the engine in `cwd`; fails the test on a non-zero exit. Returns stdout. */
export async function engineCommand(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  const engine = await testEngine();
  const stderr: string[] = [];
  const result = await runProcess({
    command: engine.bin,
    args,
    cwd,
    env: { ...testEnv, ...env },
    captureStdout: true,
    onLine: (_stream, line) => stderr.push(line),
    timeoutMs: 60_000,
  });
  if (result.exitCode !== 0) throw new Error(`${engine.name} ${args.join(' ')} failed: ${stderr.join('\n')}`);
  return result.stdout;
}
