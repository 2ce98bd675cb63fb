/**
 * Creating, cancelling and reading runs: the one place the API, the CLI and the scheduler go through, so
 * every new or cancelled run is announced on the event hub (which also wakes the worker).
 */
import { randomUUID } from 'node:crypto';
import { TideError } from '../errors/tide-error.ts';
import type { RunEventBus } from './run-events.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { decodeCursor, toPage, type Page } from '../store/page.ts';
import { requestCancel } from './run-cancel.repo.ts';
import { readLogChunks, type LogChunk, type ReadLogQuery } from './run-log.repo.ts';
import { cancelQueuedRun } from './run-outcome.repo.ts';
import { insertRetry } from './job-chain.repo.ts';
import { getRun, insertRun, listRuns, type ListRunsQuery, type NewRun } from './run.repo.ts';
import type { RunAction, RunTrigger } from './run-state.ts';
import type { Run } from './run.ts';

export interface EnqueueRequest {
  readonly workspace: string;
  readonly job?: string | null;
  readonly action: RunAction;
  readonly mode?: string | null;
  readonly trigger: RunTrigger;
  readonly actor?: string | null;
  readonly firingId?: number | null;
  readonly attempt?: number;
  readonly retryOf?: string | null;
  readonly configHash?: string | null;
  /** Not claimed before this instant (retry backoff, jitter). */
  readonly notBefore?: Date | null;
  /** Default lockKeyFor(run); a retry keeps its run's. */
  readonly lockKey?: string;
  /** A manual deploy's own TTL (src/workspace/ttl.ts). */
  readonly ttlSeconds?: number | null;
}

export interface RunServiceDeps {
  readonly db: Db;
  readonly hub: RunEventBus;
  readonly clock: Clock;
  readonly newId?: () => string;
}

export class RunService {
  readonly #deps: RunServiceDeps;

  constructor(deps: RunServiceDeps) {
    this.#deps = deps;
  }

  async enqueue(request: EnqueueRequest): Promise<Run> {
    const { db, hub, clock, newId = randomUUID } = this.#deps;
    // A retry takes its run's place in a job chain (job-chain.repo.ts).
    const insert = request.retryOf
      ? (row: NewRun) => insertRetry(db, { ...row, retry_of: request.retryOf ?? '' })
      : (row: NewRun) => insertRun(db, row);
    const run = await insert({
      id: newId(),
      workspace: request.workspace,
      job: request.job ?? null,
      action: request.action,
      mode: request.mode ?? null,
      trigger: request.trigger,
      actor: request.actor ?? null,
      attempt: request.attempt ?? 1,
      retry_of: request.retryOf ?? null,
      firing_id: request.firingId ?? null,
      config_hash: request.configHash ?? null,
      not_before: request.notBefore ?? null,
      created_at: clock.now(),
      ttl_seconds: request.ttlSeconds ?? null,
      ...(request.lockKey ? { lock_key: request.lockKey } : {}),
    });
    hub.emit('run.updated', run);
    return run;
  }

  /**
   * A queued run is cancelled at once (it has not touched its workspace, so only the run changes); a
   * running one is asked to stop, and its runner records the end and the workspace's status together;
   * a finished one is a conflict.
   */
  async cancel(id: string, actor: string | null): Promise<Run> {
    const { db, hub, clock } = this.#deps;
    const run = await getRun(db, id);
    if (!run) throw new TideError('not_found', `run ${id} does not exist`);
    const now = clock.now();
    let updated: Run | null = null;
    if (run.state === 'queued') {
      updated = await cancelQueuedRun(db, id, now, `canceled by ${actor ?? 'anonymous'}`).then(
        ({ run: canceled, chained }) => {
          // Its dependents in a job chain are skipped with it.
          for (const other of chained) hub.emit('run.updated', other);
          return canceled;
        },
        // It was claimed in the meantime: ask the runner instead.
        async (error: unknown) => {
          if (error instanceof TideError && error.code === 'illegal_transition')
            return requestCancel(db, id, now);
          throw error;
        },
      );
    } else if (run.state === 'running') {
      updated = (await requestCancel(db, id, now)) ?? run;
    }
    if (!updated)
      throw new TideError('conflict', `run ${id} already finished (${run.state})`, {
        details: { state: run.state },
      });
    hub.emit('run.updated', updated);
    return updated;
  }

  /** The run, or null when there is none. */
  find(id: string): Promise<Run | null> {
    return getRun(this.#deps.db, id);
  }

  /** The run; `not_found` when there is none. */
  async get(id: string): Promise<Run> {
    const run = await getRun(this.#deps.db, id);
    if (!run) throw new TideError('not_found', `run ${id} does not exist`, { details: { run_id: id } });
    return run;
  }

  /** Newest first, filtered and paged (ListRunsQuery). */
  list(query: ListRunsQuery): Promise<Page<Run>> {
    return listRuns(this.#deps.db, query);
  }

  /** Stored log chunks in seq order, after `afterSeq`. */
  logChunks(id: string, query: ReadLogQuery): Promise<LogChunk[]> {
    return readLogChunks(this.#deps.db, id, query);
  }

  /** One page of stored log chunks in seq order; the cursor is bound to the run it came from. */
  async logPage(id: string, limit: number, cursor: string | undefined): Promise<Page<LogChunk>> {
    let afterSeq = 0;
    if (cursor !== undefined) {
      const [cursorRun, seq] = decodeCursor(cursor, 'number');
      if (cursorRun !== id) {
        throw new TideError(
          'invalid_argument',
          'the cursor belongs to another run; pass next_cursor from this run',
        );
      }
      afterSeq = seq;
    }
    const chunks = await readLogChunks(this.#deps.db, id, { afterSeq, limit: limit + 1 });
    return toPage(chunks, limit, (chunk) => [id, chunk.seq]);
  }
}
