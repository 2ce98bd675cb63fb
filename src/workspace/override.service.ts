/**
 * What the API does with overrides (docs/overrides.md): add one to a workspace, list them, end one early.
 * The rules a request must pass — exactly one of an end instant or a duration, the end after now and no
 * further than TIDE_OVERRIDE_MAX, an action for skip_next only — are checked here, before any write.
 */
import { randomUUID } from 'node:crypto';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { TideError } from '../errors/tide-error.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { formatDuration } from '../time/duration.ts';
import { activeOverrides, type Override, type OverrideKind } from './override.ts';
import {
  getOverride,
  insertOverride,
  overrideHistory,
  overridesEndingAfter,
  removeOverride,
} from './override.repo.ts';

/** The default of TIDE_OVERRIDE_MAX. */
export const DEFAULT_OVERRIDE_MAX_MS = 30 * 86_400_000;

export interface OverrideServiceDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly config: () => EffectiveConfig;
  /** TIDE_OVERRIDE_MAX; default DEFAULT_OVERRIDE_MAX_MS. */
  readonly maxMs?: number;
}

export interface NewOverride {
  readonly kind: OverrideKind;
  /** Exactly one of `until` and `forMs`; skip_next may have neither (it then lasts the maximum). */
  readonly until?: Date;
  readonly forMs?: number;
  readonly action?: 'deploy' | 'destroy';
  readonly reason?: string;
}

function invalid(field: string, message: string): TideError {
  return new TideError('validation_failed', `invalid request body: body.${field}: ${message}`, {
    details: { problems: [{ path: `body.${field}`, message }] },
  });
}

export class OverrideService {
  readonly #deps: OverrideServiceDeps;

  constructor(deps: OverrideServiceDeps) {
    this.#deps = deps;
  }

  get maxMs(): number {
    return this.#deps.maxMs ?? DEFAULT_OVERRIDE_MAX_MS;
  }

  /**
   * The workspace's overrides in force, oldest first; with `history`, every one still stored (ended ones
   * too, until retention), newest first.
   */
  async list(workspace: string, options: { history?: boolean } = {}): Promise<Override[]> {
    this.#assertKnown(workspace);
    const now = this.#deps.clock.now();
    if (options.history) return overrideHistory(this.#deps.db, workspace);
    return activeOverrides(await overridesEndingAfter(this.#deps.db, now, workspace), now);
  }

  async add(workspace: string, request: NewOverride, actor: string): Promise<Override> {
    this.#assertKnown(workspace);
    const now = this.#deps.clock.now();
    if (request.kind === 'skip_next' && !request.action)
      throw invalid('action', 'skip_next needs the action to skip: deploy or destroy');
    if (request.kind !== 'skip_next' && request.action)
      throw invalid('action', `only skip_next takes an action, not ${request.kind}`);
    if (request.until && request.forMs !== undefined)
      throw invalid('until', 'give either until or for, not both');
    const field = request.forMs !== undefined ? 'for' : 'until';
    let endsAt: Date;
    if (request.until) endsAt = request.until;
    else if (request.forMs !== undefined) endsAt = new Date(now.getTime() + request.forMs);
    else if (request.kind === 'skip_next') endsAt = new Date(now.getTime() + this.maxMs);
    else throw invalid('until', `${request.kind} needs an end: until (an instant) or for (a duration)`);
    if (endsAt <= now) throw invalid(field, `the end ${endsAt.toISOString()} is not in the future`);
    if (endsAt.getTime() - now.getTime() > this.maxMs) {
      throw invalid(
        field,
        `the end ${endsAt.toISOString()} is more than ${formatDuration(this.maxMs)} away (TIDE_OVERRIDE_MAX)`,
      );
    }
    const override: Override = {
      id: randomUUID(),
      workspace,
      kind: request.kind,
      action: request.kind === 'skip_next' ? request.action! : null,
      ends_at: endsAt,
      reason: request.reason ?? null,
      actor,
      created_at: now,
      removed_at: null,
      consumed_at: null,
    };
    await insertOverride(this.#deps.db, override);
    return override;
  }

  /** Ends an override at once; not_found if the workspace has no such override or it was removed. */
  async remove(workspace: string, id: string, actor: string): Promise<Override> {
    this.#assertKnown(workspace);
    const override = await getOverride(this.#deps.db, workspace, id);
    const now = this.#deps.clock.now();
    if (!override || !(await removeOverride(this.#deps.db, id, actor, now))) {
      throw new TideError('not_found', `workspace "${workspace}" has no override ${id} in force`, {
        details: { workspace, override: id },
      });
    }
    return { ...override, removed_at: now };
  }

  #assertKnown(workspace: string): void {
    if (!this.#deps.config().workspaces.has(workspace)) {
      throw new TideError('not_found', `workspace "${workspace}" does not exist`, { details: { workspace } });
    }
  }
}
