/**
 * When the engine cannot save its state at the end of an apply (the state backend unreachable past its
 * retries), it writes what it created to `errored.tfstate` in the working directory, which Tide removes
 * with the run: the resources would be lost track of. So after a step that changes infrastructure, Tide
 * sends that file to the state backend itself, with the run's credential (fenced like the engine's own
 * writes); if that fails too, it keeps the file, 0600, in `<data>/errored-state/<run-id>.tfstate` and
 * says so in the run's log, for an operator to push.
 */
import { access, chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../files/file-modes.ts';
import type { RunStep, StepContext } from './step-context.ts';

export const ERRORED_STATE_FILE = 'errored.tfstate';

/** `step`, then the rescue of an errored.tfstate it left, whether it succeeded or not. */
export function rescuingErroredState(step: RunStep): RunStep {
  return {
    name: step.name,
    async run(ctx) {
      try {
        await step.run(ctx);
      } finally {
        await rescueErroredState(ctx);
      }
    },
  };
}

async function rescueErroredState(ctx: StepContext): Promise<void> {
  const file = path.join(ctx.workDir, ERRORED_STATE_FILE);
  const found = await access(file).then(
    () => true,
    () => false,
  );
  if (!found) return;
  const { address, credential } = ctx.definition.state;
  const basic = Buffer.from(`${credential.username}:${credential.password}`).toString('base64');
  try {
    const response = await fetch(address, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/json' },
      body: await readFile(file),
    });
    if (!response.ok) throw new Error(`the state backend answered ${response.status}`);
    await rm(file, { force: true });
    ctx.system(`the engine could not save its state and left ${ERRORED_STATE_FILE}: Tide stored it`);
  } catch (error) {
    await mkdir(ctx.dirs.erroredStateDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const kept = path.join(ctx.dirs.erroredStateDir, `${ctx.definition.run.id}.tfstate`);
    await copyFile(file, kept);
    await chmod(kept, PRIVATE_FILE_MODE);
    const why = error instanceof Error ? error.message : String(error);
    ctx.system(
      `the engine could not save its state, and neither could Tide (${why}): it is kept in ${kept}; push it with \`tofu state push\` against the workspace's backend`,
    );
  }
}
