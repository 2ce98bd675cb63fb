import { defaultPolicy } from '../config/config-model.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { environmentHolding, protectionReason } from '../environment/environment-protection.ts';
import { TideError } from '../errors/tide-error.ts';
import type { Logger } from '../log/logger.ts';
import { settleWithoutRetry } from '../run/job-chain.repo.ts';
import type { RunEventBus } from '../run/run-events.ts';
import { readLogChunks } from '../run/run-log.repo.ts';
import type { RunService } from '../run/run.service.ts';
import { STANDALONE_WORKSPACE, type Run } from '../run/run.ts';
import type { Db } from '../store/schema.ts';
import { retryDelay } from './retry-policy.ts';

export interface RetryContext {
  readonly db: Db;
  /** Announces the runs of a job chain skipped when a failed run is not retried. */
  readonly hub?: RunEventBus;
  readonly runs: Pick<RunService, 'enqueue'>;
  readonly config: () => EffectiveConfig;
  readonly now: Date;
  readonly random: () => number;
  readonly logger: Logger;
}

const tailLines = 200;

async function logTail(db: Db, runId: string): Promise<string> {
  const chunks = await readLogChunks(db, runId, { limit: 10_000 });
  return chunks
    .flatMap((chunk) => chunk.content.split('\n'))
    .slice(-tailLines)
    .join('\n');
}

/** Queues the next attempt of a failed run if its policy says so. At most once per run (unique retry_of). */
export async function retryFailedRun(run: Run, ctx: RetryContext): Promise<void> {
  const config = ctx.config();
  const workspace =
    run.workspace === STANDALONE_WORKSPACE
      ? null
      : (config.workspaces.get(run.workspace)?.definition ?? null);
  const job = run.job
    ? workspace
      ? workspace.jobs.find((j) => j.name === run.job)
      : config.jobs.get(run.job)?.definition
    : undefined;
  if (run.workspace !== STANDALONE_WORKSPACE && !workspace) return settleChain(run, ctx);
  const delay = retryDelay({
    run,
    policy: workspace?.policy ?? defaultPolicy,
    job: job ?? undefined,
    logTail: await logTail(ctx.db, run.id),
    random: ctx.random,
  });
  if (delay === null) return settleChain(run, ctx);
  if (run.action === 'destroy') {
    // Assigned to an environment since the destroy was queued (a switch): no retry.
    const holding = await environmentHolding(ctx.db, config.snapshot, run.workspace);
    if (holding) {
      ctx.logger.info(
        { workspace: run.workspace, run_id: run.id, environment: holding.environment },
        `retry not queued: ${protectionReason(run.workspace, holding)}`,
      );
      return;
    }
  }
  try {
    const retry = await ctx.runs.enqueue({
      workspace: run.workspace,
      job: run.job,
      action: run.action,
      mode: run.mode,
      trigger: 'retry',
      actor: 'scheduler',
      attempt: run.attempt + 1,
      retryOf: run.id,
      // The same lock as the attempt it retries (a standalone job in a workspace's context: the workspace's).
      lockKey: run.lock_key,
      configHash: workspace?.contentHash ?? null,
      notBefore: new Date(ctx.now.getTime() + delay),
    });
    ctx.logger.info(
      {
        workspace: run.workspace,
        run_id: retry.id,
        retry_of: run.id,
        attempt: retry.attempt,
        delay_ms: delay,
      },
      'retry queued',
    );
  } catch (error) {
    // Another replica (or an earlier sweep) queued this retry first.
    if (!(error instanceof TideError && error.code === 'conflict')) throw error;
  }
}

/** Not retried: the jobs of its chain that waited for a retry are skipped (job-chain.repo.ts). */
async function settleChain(run: Run, ctx: RetryContext): Promise<void> {
  for (const skipped of await settleWithoutRetry(ctx.db, run, ctx.now)) ctx.hub?.emit('run.updated', skipped);
}
