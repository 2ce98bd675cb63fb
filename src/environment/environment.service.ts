/**
 * Environments (SPEC §2, docs/environments.md): a stable name (a domain, reserved IPs) pointed at one of
 * several workspaces. A switch checks the target (deployed, its addresses from its outputs, the health
 * check on every address at once), runs the switch action once per reserved IP, and records the new
 * assignment, then (unless `verify: false`) checks the new targets again. If an action or that check
 * fails, the previous assignment is restored by running the action for it, and the failure is reported. Every switch asked for is recorded with its checks and the actions' output.
 */
import { randomUUID } from 'node:crypto';
import type { EnvironmentDefinition } from '../config/config-model.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { runEnvironment } from '../engine/run-environment.ts';
import { TideError } from '../errors/tide-error.ts';
import type { Db, EnvironmentSwitchResult } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { formatDuration } from '../time/duration.ts';
import { getWorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import {
  assignedWorkspace,
  claimSwitch,
  deployedOutputs,
  finishSwitch,
  getAssignment,
  listAssignments,
  listSwitches,
  recordSwitch,
  type AssignmentRow,
  type SwitchRecord,
} from './environment.repo.ts';
import { targetsFromOutputs, type Target } from './environment-targets.ts';
import { checkAll, type HealthCheckResult } from './health-check.ts';
import { runCommand, substitute, type CommandResult } from './switch-command.ts';
import { applyTemplateAction, type TemplateActionDeps } from './template-action.ts';

export interface EnvironmentServiceDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly config: () => EffectiveConfig;
  /** What health-check commands and switch actions start from (default: the allowlisted run environment). */
  readonly baseEnv?: Readonly<Record<string, string>>;
  readonly newId?: () => string;
  /**
   * The outputs in the workspace's latest state in Tide's backend, for a workspace deployed without a
   * run that recorded them (adopted from the Provisioner); null when it has none.
   */
  readonly stateOutputs?: (workspace: string) => Promise<Record<string, unknown> | null>;
  /** What template switch actions need (engine, state backend, templates); absent: they cannot run here. */
  readonly templateAction?: Omit<TemplateActionDeps, 'db' | 'clock'>;
  /** Notifies `environment_switched` in the transaction that records the switch. Default: none. */
  readonly announceSwitch?: (
    trx: Db,
    change: { id: string; environment: string; from: string | null; to: string; at: Date },
  ) => Promise<unknown>;
}

export interface EnvironmentView {
  readonly name: string;
  readonly file: string;
  /** Why the file is rejected, or null; the other fields are null while it is. */
  readonly config_error: string | null;
  readonly layout: EnvironmentDefinition['layout'] | null;
  readonly description: string | null;
  readonly domain: string | null;
  readonly reserved_ips: readonly string[];
  readonly assigned_workspace: string | null;
  /** `database` (a recorded switch), `file` (the file's `assigned_workspace`), or `none`. */
  readonly assignment_source: 'database' | 'file' | 'none';
  readonly assigned_at: string | null;
  readonly assigned_by: string | null;
  /** The target of a switch in progress, if any. */
  readonly switching_to: string | null;
  readonly health_check: {
    readonly type: string;
    readonly path?: string;
    readonly port?: number;
    readonly command?: readonly string[];
    readonly timeout: string;
  } | null;
  readonly action: {
    /** Empty for a template action. */
    readonly command: readonly string[];
    /** A template action: the template's name, and the names of the file's extra variables. */
    readonly template?: string;
    readonly variables?: readonly string[];
    readonly timeout: string;
    readonly implicit: boolean;
  } | null;
  /** Whether the health check runs again after the switch (and a failure restores the previous assignment). */
  readonly verify: boolean | null;
  readonly outputs: { readonly addresses: string; readonly address_map: string } | null;
}

export interface RestoreView {
  readonly workspace: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly actions: readonly CommandResult[];
}

export interface SwitchView {
  readonly id: string;
  readonly environment: string;
  readonly from_workspace: string | null;
  readonly to_workspace: string;
  readonly actor: string;
  readonly result: EnvironmentSwitchResult;
  readonly reason: string | null;
  readonly started_at: string;
  readonly finished_at: string;
  readonly targets: readonly Target[];
  readonly checks: readonly HealthCheckResult[];
  readonly actions: readonly CommandResult[];
  /** The health check run again after the actions (`verify`); empty when it did not run. */
  readonly verification: readonly HealthCheckResult[];
  readonly restore: RestoreView | null;
}

export class EnvironmentService {
  readonly #deps: EnvironmentServiceDeps;

  constructor(deps: EnvironmentServiceDeps) {
    this.#deps = deps;
  }

  async list(): Promise<EnvironmentView[]> {
    const rows = new Map((await listAssignments(this.#deps.db)).map((row) => [row.environment, row]));
    return this.#names().map((name) => this.#view(name, rows.get(name) ?? null));
  }

  async get(name: string, switches = 10): Promise<EnvironmentView & { switches: SwitchView[] }> {
    if (!this.#names().includes(name)) throw notFound(name);
    const view = this.#view(name, await getAssignment(this.#deps.db, name));
    const records = await listSwitches(this.#deps.db, name, switches);
    return { ...view, switches: records.map(toSwitchView) };
  }

  /**
   * Points `name` at `workspace`. Returns the recorded switch (`switched`, or `unchanged` when already
   * assigned). Throws, after recording the switch, `health_check_failed` (nothing was done) or
   * `switch_failed` (an action failed, or with `verify` the health check on the new targets failed
   * after the actions; the previous assignment was restored, details say how it went).
   */
  async switch(name: string, workspace: string, actor: string): Promise<SwitchView> {
    const { db, clock } = this.#deps;
    const environment = this.#definition(name);
    const config = this.#deps.config();
    if (!config.workspaces.has(workspace))
      throw new TideError('not_found', `workspace "${workspace}" does not exist`, { details: { workspace } });
    const id = this.#deps.newId?.() ?? randomUUID();
    const startedAt = clock.now();
    const row = await getAssignment(db, name);
    const current = assignedWorkspace(row, environment.initialWorkspace ?? null);
    const base = { id, environment: name, from_workspace: current, to_workspace: workspace, actor };
    if (current === workspace && !row?.switch_id) {
      const record = this.#record(base, startedAt, 'unchanged', `already assigned to "${workspace}"`, {});
      await recordSwitch(db, record);
      return toSwitchView(record);
    }
    const status = (await getWorkspaceStatus(db, workspace))?.status ?? 'destroyed';
    if (status !== 'deployed')
      throw new TideError(
        'conflict',
        `cannot switch environment "${name}" to "${workspace}": the workspace is ${status}, not deployed; deploy it first`,
        { details: { environment: name, workspace, status } },
      );
    const targets = await this.#targets(environment, workspace);
    if (!targets.ok)
      throw new TideError('conflict', `cannot switch environment "${name}": ${targets.message}`, {
        details: { environment: name, workspace },
      });
    const template = environment.action.template?.name;
    if (template !== undefined) {
      if (!this.#deps.templateAction?.engine)
        throw new TideError(
          'conflict',
          `cannot switch environment "${name}": its action is template "${template}", and this server cannot apply templates (no engine or state backend)`,
          { details: { environment: name, template } },
        );
      if (!(await this.#deps.templateAction.resolveTemplate(template)))
        throw new TideError(
          'config_invalid',
          `environment "${name}" has no valid configuration: template "${template}" does not exist`,
          { details: { environment: name, template } },
        );
    }
    const claim = await claimSwitch(db, {
      environment: name,
      switchId: id,
      to: workspace,
      initialWorkspace: environment.initialWorkspace ?? null,
      now: startedAt,
      staleBefore: new Date(startedAt.getTime() - staleAfterMs(environment)),
    });
    if (!claim.claimed)
      throw new TideError(
        'conflict',
        `environment "${name}" is being switched to "${claim.holder.switching_to}" (since ${claim.holder.switch_started_at}); try again when it is done`,
        { details: { environment: name, switching_to: claim.holder.switching_to } },
      );
    const from = assignedWorkspace(claim.previous, environment.initialWorkspace ?? null);
    const env = this.#env();
    const checks = await checkAll(
      environment.healthCheck,
      targets.targets.map((t) => t.server),
      env,
    );
    const failed = checks.filter((check) => !check.ok);
    if (failed.length > 0) {
      const reason = `health check failed on ${failed.length} of ${checks.length} address(es): ${failed.map((c) => c.detail).join('; ')}; nothing was changed`;
      const record = this.#record({ ...base, from_workspace: from }, startedAt, 'refused', reason, {
        targets: targets.targets,
        checks,
      });
      await finishSwitch(db, record, null);
      throw new TideError(
        'health_check_failed',
        `switch of environment "${name}" to "${workspace}" refused: ${reason}`,
        {
          details: { switch: toSwitchView(record) },
        },
      );
    }
    const actions = await this.#runActions(environment, workspace, targets.targets, env, actor);
    const failedAction = actions.find((action) => !action.ok);
    // Verification: the same check on the same addresses, now that the reserved IPs point at them.
    const verification =
      !failedAction && environment.verify
        ? await checkAll(
            environment.healthCheck,
            targets.targets.map((t) => t.server),
            env,
          )
        : [];
    const unverified = verification.filter((check) => !check.ok);
    if (!failedAction && unverified.length === 0) {
      const record = this.#record({ ...base, from_workspace: from }, startedAt, 'switched', null, {
        targets: targets.targets,
        checks,
        actions,
        verification,
      });
      const at = clock.now();
      await finishSwitch(db, record, { workspace, by: actor, at }, (trx) =>
        this.#deps.announceSwitch
          ? this.#deps.announceSwitch(trx, { id, environment: name, from, to: workspace, at })
          : Promise.resolve(),
      );
      return toSwitchView(record);
    }
    const restore = from === null ? null : await this.#restore(environment, from, env, actor);
    const what = failedAction
      ? `switch action failed: ${failedAction.argv.join(' ')} ${failedAction.exit_code === null ? 'did not complete' : `exited ${failedAction.exit_code}`}${lastLine(failedAction.output)}`
      : `health check after the switch failed on ${unverified.length} of ${verification.length} address(es): ${unverified.map((c) => c.detail).join('; ')}`;
    const after =
      restore === null
        ? 'there was no previous assignment to restore'
        : restore.ok
          ? `the previous assignment ("${from}") was restored`
          : `restoring the previous assignment ("${from}") failed too: ${
              restore.error ??
              restore.actions
                .filter((a) => !a.ok)
                .map((a) => `${a.argv.join(' ')}${lastLine(a.output)}`)
                .join('; ')
            }; check the reserved IPs by hand`;
    const reason = `${what}; ${after}`;
    const record = this.#record({ ...base, from_workspace: from }, startedAt, 'failed', reason, {
      targets: targets.targets,
      checks,
      actions,
      verification,
      restore,
    });
    await finishSwitch(db, record, null);
    throw new TideError(
      'switch_failed',
      `switch of environment "${name}" to "${workspace}" failed: ${reason}`,
      {
        details: { switch: toSwitchView(record) },
      },
    );
  }

  async #targets(environment: EnvironmentDefinition, workspace: string) {
    const outputs =
      (await deployedOutputs(this.#deps.db, workspace)) ??
      (await this.#deps.stateOutputs?.(workspace)) ??
      null;
    if (outputs === null)
      return {
        ok: false as const,
        message: `workspace "${workspace}" has no outputs: no successful deploy recorded them and its state in Tide has none`,
      };
    return targetsFromOutputs(environment, workspace, outputs);
  }

  /** The command once per reserved IP, in order, or the template once; stops at the first failure. */
  async #runActions(
    environment: EnvironmentDefinition,
    workspace: string,
    targets: readonly Target[],
    env: Readonly<Record<string, string>>,
    actor: string,
  ): Promise<CommandResult[]> {
    if (environment.action.template) {
      const { db, clock } = this.#deps;
      return applyTemplateAction(
        { db, clock, ...this.#deps.templateAction! },
        { environment, workspace, targets, env, actor },
      );
    }
    const results: CommandResult[] = [];
    for (const [index, reservedIp] of environment.reservedIps.entries()) {
      const target = targets[index]!;
      const argv = substitute(environment.action.command, {
        reserved_ip: reservedIp,
        resource: target.resource,
        server: target.server,
        workspace,
        environment: environment.name,
        domain: environment.domain,
      });
      const result = await runCommand(argv, { env, timeoutMs: environment.action.timeoutMs });
      results.push(result);
      if (!result.ok) break;
    }
    return results;
  }

  /** Points every reserved IP back at `workspace` (some may have moved before the failure). */
  async #restore(
    environment: EnvironmentDefinition,
    workspace: string,
    env: Readonly<Record<string, string>>,
    actor: string,
  ): Promise<RestoreView> {
    const targets = await this.#targets(environment, workspace);
    if (!targets.ok) return { workspace, ok: false, error: targets.message, actions: [] };
    const actions = await this.#runActions(environment, workspace, targets.targets, env, actor);
    return { workspace, ok: actions.every((action) => action.ok), actions };
  }

  #record(
    base: Pick<SwitchRecord, 'id' | 'environment' | 'from_workspace' | 'to_workspace' | 'actor'>,
    startedAt: Date,
    result: EnvironmentSwitchResult,
    reason: string | null,
    details: Record<string, unknown>,
  ): SwitchRecord {
    return {
      ...base,
      result,
      reason,
      details,
      started_at: startedAt.toISOString(),
      finished_at: this.#deps.clock.now().toISOString(),
    };
  }

  #env(): Readonly<Record<string, string>> {
    return this.#deps.baseEnv ?? runEnvironment(process.env);
  }

  #names(): string[] {
    const snapshot = this.#deps.config().snapshot;
    const names = new Set(snapshot.environments?.keys() ?? []);
    for (const problem of snapshot.problems)
      if (problem.unit.kind === 'environment' && problem.severity === 'error') names.add(problem.unit.name);
    return [...names].sort();
  }

  #definition(name: string): EnvironmentDefinition {
    const snapshot = this.#deps.config().snapshot;
    const definition = snapshot.environments?.get(name);
    if (definition) return definition;
    const errors = configErrors(snapshot.problems, name);
    if (errors.length > 0)
      throw new TideError(
        'config_invalid',
        `environment "${name}" has no valid configuration: ${errors.join('; ')}`,
        {
          details: { environment: name },
        },
      );
    throw notFound(name);
  }

  #view(name: string, row: AssignmentRow | null): EnvironmentView {
    const snapshot = this.#deps.config().snapshot;
    const definition = snapshot.environments?.get(name) ?? null;
    const errors = configErrors(snapshot.problems, name);
    const initial = definition?.initialWorkspace ?? null;
    const assigned = assignedWorkspace(row, initial);
    const check = definition?.healthCheck;
    return {
      name,
      file:
        definition?.file ??
        snapshot.problems.find((p) => p.unit.kind === 'environment' && p.unit.name === name)?.file ??
        '',
      config_error: errors.length > 0 && !definition ? errors.join('\n') : null,
      layout: definition?.layout ?? null,
      description: definition?.description ?? null,
      domain: definition?.domain ?? null,
      reserved_ips: definition?.reservedIps ?? [],
      assigned_workspace: assigned,
      assignment_source: row?.assigned_at ? 'database' : assigned !== null ? 'file' : 'none',
      assigned_at: row?.assigned_at ?? null,
      assigned_by: row?.assigned_by ?? null,
      switching_to: row?.switching_to ?? null,
      health_check: check
        ? {
            type: check.type,
            ...(check.type === 'http' ? { path: check.path } : {}),
            ...(check.port === undefined ? {} : { port: check.port }),
            ...(check.command === undefined ? {} : { command: check.command }),
            timeout: formatDuration(check.timeoutMs),
          }
        : null,
      action: definition
        ? {
            command: definition.action.command,
            ...(definition.action.template
              ? {
                  template: definition.action.template.name,
                  variables: Object.keys(definition.action.template.variables).sort(),
                }
              : {}),
            timeout: formatDuration(definition.action.timeoutMs),
            implicit: definition.action.implicit,
          }
        : null,
      verify: definition?.verify ?? null,
      outputs: definition
        ? { addresses: definition.outputs.addresses, address_map: definition.outputs.addressMap }
        : null,
    };
  }
}

function toSwitchView(record: SwitchRecord): SwitchView {
  const details = record.details as {
    targets?: Target[];
    checks?: HealthCheckResult[];
    actions?: CommandResult[];
    verification?: HealthCheckResult[];
    restore?: RestoreView | null;
  };
  return {
    id: record.id,
    environment: record.environment,
    from_workspace: record.from_workspace,
    to_workspace: record.to_workspace,
    actor: record.actor,
    result: record.result,
    reason: record.reason,
    started_at: new Date(record.started_at).toISOString(),
    finished_at: new Date(record.finished_at).toISOString(),
    targets: details.targets ?? [],
    checks: details.checks ?? [],
    actions: details.actions ?? [],
    verification: details.verification ?? [],
    restore: details.restore ?? null,
  };
}

function configErrors(problems: EffectiveConfig['snapshot']['problems'], name: string): string[] {
  return problems
    .filter((p) => p.unit.kind === 'environment' && p.unit.name === name && p.severity === 'error')
    .map((p) => `${p.file}${p.path ? `: ${p.path}` : ''}: ${p.message}`);
}

function notFound(name: string): TideError {
  return new TideError('not_found', `environment "${name}" does not exist`, {
    details: { environment: name },
  });
}

function lastLine(output: string): string {
  const line = output.trim().split('\n').at(-1)?.trim() ?? '';
  return line ? ` (${line})` : '';
}

/** A claim older than a switch could possibly take belongs to a replica that died: it is taken over. */
function staleAfterMs(environment: EnvironmentDefinition): number {
  return (
    (environment.verify ? 2 : 1) * environment.healthCheck.timeoutMs +
    // The switch's actions and the restore's: a command per reserved IP, or a template's init and apply.
    2 * (environment.action.template ? 2 : environment.reservedIps.length) * environment.action.timeoutMs +
    60_000
  );
}
