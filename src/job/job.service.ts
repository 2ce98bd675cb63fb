/**
 * Jobs as the API and CLI see them (docs/jobs.md): list, read, run by hand. A job's id is
 * `<workspace>.<job>` for a workspace's job and `<job>` for a standalone one (names never hold a dot, so
 * the two never collide). Running a job queues it with the jobs that depend on it, as one chain.
 */
import type { JobDefinition } from '../config/config-model.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { standaloneScope } from '../config/names.ts';
import { TideError } from '../errors/tide-error.ts';
import { queueChain } from '../run/run-outcome.repo.ts';
import type { RunEventBus } from '../run/run-events.ts';
import type { RunService } from '../run/run.service.ts';
import { toRunView, type RunView } from '../run/run-view.ts';
import type { Run } from '../run/run.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { rootedChain } from './job-plan.ts';

export interface JobView {
  readonly id: string;
  readonly name: string;
  /** The workspace whose context it runs in; null for a standalone job with none. */
  readonly workspace: string | null;
  readonly standalone: boolean;
  readonly type: JobDefinition['type'];
  readonly description: string;
  readonly enabled: boolean;
  /** Cron expressions. */
  readonly schedules: readonly string[];
  /** `@deployment`, `@deployment-failed`, `@destroy`, `@destroy-failed`, `@startup`. */
  readonly events: readonly string[];
  readonly depends_on: readonly string[];
  readonly template: string | null;
  readonly working_dir: string | null;
  readonly timeout_seconds: number;
  readonly retries: number;
  readonly file: string;
  readonly last_run: RunView | null;
}

export interface JobServiceDeps {
  readonly db: Db;
  readonly hub: RunEventBus;
  readonly clock: Clock;
  config(): EffectiveConfig;
  readonly runs: Pick<RunService, 'list'>;
}

/** The id the API and CLI use for a job. */
export function jobId(job: Pick<JobDefinition, 'name' | 'scope'>): string {
  return job.scope === standaloneScope ? job.name : `${job.scope}.${job.name}`;
}

/** The workspace a caller's scope is checked against: the job's context workspace, or `_standalone_`. */
export function accessWorkspaceOf(job: Pick<JobDefinition, 'workspace'>): string {
  return job.workspace ?? standaloneScope;
}

export class JobService {
  readonly #deps: JobServiceDeps;

  constructor(deps: JobServiceDeps) {
    this.#deps = deps;
  }

  /** Every configured job (workspace jobs, then standalone ones), by id, that `visible` allows. */
  async list(visible: (workspace: string) => boolean = () => true): Promise<JobView[]> {
    const jobs = allJobs(this.#deps.config())
      .filter((job) => visible(accessWorkspaceOf(job)))
      .sort((a, b) => jobId(a).localeCompare(jobId(b)));
    return Promise.all(jobs.map((job) => this.#view(job)));
  }

  /** The job's definition; `not_found` when no job has this id. */
  find(id: string): JobDefinition {
    const config = this.#deps.config();
    const dot = id.indexOf('.');
    const job =
      dot < 0
        ? (config.jobs.get(id)?.definition ?? undefined)
        : config.workspaces
            .get(id.slice(0, dot))
            ?.definition?.jobs.find((each) => each.name === id.slice(dot + 1));
    if (!job) throw new TideError('not_found', `job ${id} does not exist`, { details: { job: id } });
    return job;
  }

  async get(id: string): Promise<JobView> {
    return this.#view(this.find(id));
  }

  /**
   * Queues the job (trigger `manual`) and, in the same chain, the enabled jobs that depend on it. Returns
   * the job's run. A disabled job can still be run by hand (a manual-only job has no schedule).
   */
  async run(id: string, actor: string | null): Promise<{ run: Run; chain: Run[] }> {
    const job = this.find(id);
    const { db, hub, clock } = this.#deps;
    const plan = rootedChain(this.#deps.config(), job, { trigger: 'manual', runTrigger: 'manual', actor });
    const runs = await queueChain(db, plan, clock.now());
    for (const run of runs) hub.emit('run.updated', run);
    const [run] = runs;
    if (!run) throw new TideError('internal', `job ${id} queued no run`);
    return { run, chain: runs.slice(1) };
  }

  async #view(job: JobDefinition): Promise<JobView> {
    const page = await this.#deps.runs.list({ workspace: job.scope, job: job.name, limit: 1 });
    const last = page.items[0];
    return {
      id: jobId(job),
      name: job.name,
      workspace: job.workspace ?? null,
      standalone: job.scope === standaloneScope,
      type: job.type,
      description: job.description,
      enabled: job.enabled,
      schedules: job.schedules.map((schedule) => schedule.cron),
      events: job.events,
      depends_on: job.dependsOn,
      template: job.template ?? null,
      working_dir: job.workingDir ?? null,
      timeout_seconds: Math.round(job.timeoutMs / 1000),
      retries: job.retries,
      file: job.file,
      last_run: last ? toRunView(last) : null,
    };
  }
}

function allJobs(config: EffectiveConfig): JobDefinition[] {
  const jobs: JobDefinition[] = [];
  for (const { definition } of config.workspaces.values()) jobs.push(...(definition?.jobs ?? []));
  for (const { definition } of config.jobs.values()) if (definition) jobs.push(definition);
  return jobs;
}
