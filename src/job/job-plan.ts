/**
 * Which job runs a trigger queues, and in which chains (docs/jobs.md, decision 021). Pure functions of
 * the configuration in force: the run and scheduler code call them when an outcome, a firing, a manual
 * request or a cluster start asks "what runs now?", and queue the answer in their own transaction.
 */
import type { JobDefinition } from '../config/config-model.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { standaloneScope } from '../config/names.ts';
import type { ChainPlan, ChainRunPlan } from '../run/job-chain.repo.ts';
import { PRIORITY_INTERACTIVE, type Run } from '../run/run.ts';
import type { WorkspaceChange } from '../workspace/workspace-status.repo.ts';

export const jobEvents = ['@deployment', '@deployment-failed', '@destroy', '@destroy-failed'] as const;
export type JobEvent = (typeof jobEvents)[number] | '@startup';

/**
 * The event a deploy's or destroy's outcome fires: `@deployment` / `@destroy` when it completed,
 * `@deployment-failed` / `@destroy-failed` when it left its workspace failed (a failure, a timeout, a
 * cancel during apply, a dead runner). A cancel before apply changed nothing and fires nothing; jobs'
 * runs and drift checks fire nothing.
 */
export function eventOf(
  run: Pick<Run, 'action' | 'job'>,
  change: Pick<WorkspaceChange, 'event'> | null,
): JobEvent | null {
  if (run.job || !change) return null;
  const deploy = run.action === 'deploy' || run.action === 'mode';
  if (!deploy && run.action !== 'destroy') return null;
  if (change.event === 'completed') return deploy ? '@deployment' : '@destroy';
  if (change.event === 'failed') return deploy ? '@deployment-failed' : '@destroy-failed';
  return null;
}

/** A job with where its runs go: the run's workspace (`_standalone_` for standalone jobs). */
interface PlacedJob {
  readonly job: JobDefinition;
  readonly runWorkspace: string;
}

/**
 * A run's lock key: a workspace job's is its workspace (lockKeyFor's default); a standalone job that runs
 * in a workspace's context shares that workspace's, so it never runs while the workspace is changing.
 */
function lockKeyOf(placed: PlacedJob): string {
  return placed.job.workspace ?? `job:${placed.job.name}`;
}

function member(placed: PlacedJob, dependsOn: readonly string[]): ChainRunPlan {
  return {
    job: placed.job.name,
    workspace: placed.runWorkspace,
    action: 'job',
    dependsOn,
    lockKey: lockKeyOf(placed),
    retries: placed.job.retries,
  };
}

/** Jobs in dependency order (a job after everything it depends on among them); input order otherwise. */
export function dependencyOrder(jobs: readonly JobDefinition[]): JobDefinition[] {
  const byName = new Map(jobs.map((job) => [job.name, job]));
  const ordered: JobDefinition[] = [];
  const seen = new Set<string>();
  const visit = (job: JobDefinition, path: Set<string>): void => {
    if (seen.has(job.name) || path.has(job.name)) return; // cycles are validation errors upstream
    path.add(job.name);
    for (const name of job.dependsOn) {
      const dependency = byName.get(name);
      if (dependency) visit(dependency, path);
    }
    seen.add(job.name);
    ordered.push(job);
  };
  for (const job of jobs) visit(job, new Set());
  return ordered;
}

/** The chains an event of one workspace fires: its own jobs' chain, and one per standalone job. */
export function eventChains(
  config: EffectiveConfig,
  workspace: string,
  event: JobEvent,
  source: { runId: string | null },
): ChainPlan[] {
  const definition = config.workspaces.get(workspace)?.definition;
  const chains: ChainPlan[] = [];
  const base = {
    trigger: event,
    runTrigger: 'event' as const,
    actor: 'event',
    sourceRunId: source.runId,
    // Right after the run that fired them: ahead of runs queued later, interactive ones included.
    priority: PRIORITY_INTERACTIVE,
  };
  if (definition) {
    const listening = definition.jobs.filter((job) => job.enabled && job.events.includes(event));
    if (listening.length > 0) {
      chains.push({
        ...base,
        workspace,
        runs: dependencyOrder(listening).map((job) =>
          member({ job, runWorkspace: workspace }, job.dependsOn),
        ),
      });
    }
  }
  for (const { definition: job } of config.jobs.values()) {
    if (!job?.enabled || job.workspace !== workspace || !job.events.includes(event)) continue;
    chains.push({
      ...base,
      workspace: standaloneScope,
      runs: [member({ job, runWorkspace: standaloneScope }, [])],
    });
  }
  return chains;
}

/**
 * After a workspace's destroy succeeded: the destroy of each of its template jobs' sub-stacks (action
 * `destroy` naming the job; state key `_jobs/<workspace>/<job>`), one chain with no dependencies.
 */
export function templateDestroyChain(config: EffectiveConfig, workspace: string, runId: string): ChainPlan[] {
  const definition = config.workspaces.get(workspace)?.definition;
  const templates = (definition?.jobs ?? []).filter((job) => job.type === 'template');
  if (templates.length === 0) return [];
  return [
    {
      workspace,
      trigger: '@destroy',
      runTrigger: 'event',
      actor: 'event',
      sourceRunId: runId,
      priority: PRIORITY_INTERACTIVE,
      runs: templates.map((job) => ({
        job: job.name,
        workspace,
        action: 'destroy' as const,
        dependsOn: [],
        lockKey: workspace,
      })),
    },
  ];
}

/** What a finished run fires (run-outcome.repo.ts ChainsFired), from the configuration in force. */
export function chainsFiredBy(config: () => EffectiveConfig) {
  return (run: Run, change: Pick<WorkspaceChange, 'event'> | null): ChainPlan[] => {
    const event = eventOf(run, change);
    if (!event) return [];
    const current = config();
    const chains = eventChains(current, run.workspace, event, { runId: run.id });
    if (event === '@destroy') chains.push(...templateDestroyChain(current, run.workspace, run.id));
    return chains;
  };
}

/** The jobs of one scope (a workspace's, or the standalone ones) that depend on `root`, directly or not. */
export function dependentsOf(scopeJobs: readonly JobDefinition[], root: string): JobDefinition[] {
  const reached = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const job of scopeJobs) {
      if (!job.enabled || reached.has(job.name)) continue;
      if (job.dependsOn.some((name) => reached.has(name))) {
        reached.add(job.name);
        grew = true;
      }
    }
  }
  return dependencyOrder(scopeJobs.filter((job) => job.name !== root && reached.has(job.name)));
}

/** The jobs of the scope a job belongs to (a workspace's jobs, or every standalone job). */
export function scopeJobsOf(config: EffectiveConfig, job: JobDefinition): JobDefinition[] {
  if (job.scope !== standaloneScope) return [...(config.workspaces.get(job.scope)?.definition?.jobs ?? [])];
  return [...config.jobs.values()].flatMap(({ definition }) => (definition ? [definition] : []));
}

/**
 * A job run by hand or by cron, with the jobs that depend on it: one chain whose first run is the job
 * (`root`: the run a cron firing already queued, or null to queue it here).
 */
export function rootedChain(
  config: EffectiveConfig,
  job: JobDefinition,
  options: { trigger: 'manual' | 'schedule'; runTrigger: Run['trigger']; actor: string | null },
): ChainPlan {
  const runWorkspace = job.scope;
  const place = (each: JobDefinition): PlacedJob => ({ job: each, runWorkspace });
  return {
    workspace: runWorkspace,
    trigger: options.trigger,
    runTrigger: options.runTrigger,
    actor: options.actor,
    sourceRunId: null,
    runs: [
      member(place(job), []),
      ...dependentsOf(scopeJobsOf(config, job), job.name).map((each) => member(place(each), each.dependsOn)),
    ],
  };
}

/** The `@startup` chains: every workspace's jobs listening to it, and the standalone ones. */
export function startupChains(config: EffectiveConfig): ChainPlan[] {
  const chains: ChainPlan[] = [];
  const base = { trigger: '@startup', runTrigger: 'event' as const, actor: 'event', sourceRunId: null };
  for (const { definition } of config.workspaces.values()) {
    const listening = (definition?.jobs ?? []).filter(
      (job) => job.enabled && job.events.includes('@startup'),
    );
    if (!definition || listening.length === 0) continue;
    chains.push({
      ...base,
      workspace: definition.name,
      runs: dependencyOrder(listening).map((job) =>
        member({ job, runWorkspace: definition.name }, job.dependsOn),
      ),
    });
  }
  const standalone = [...config.jobs.values()].flatMap(({ definition }) =>
    definition?.enabled && definition.events.includes('@startup') ? [definition] : [],
  );
  if (standalone.length > 0) {
    chains.push({
      ...base,
      workspace: standaloneScope,
      runs: dependencyOrder(standalone).map((job) =>
        member({ job, runWorkspace: standaloneScope }, job.dependsOn),
      ),
    });
  }
  return chains;
}
