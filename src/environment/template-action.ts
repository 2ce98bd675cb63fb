/**
 * A template as the switch action (docs/environments.md): the template is applied as an OpenTofu stack of
 * its own — `init`, then `apply -auto-approve` — with its state in Tide's state backend under
 * `_jobs/_environment_/<environment>`, and the variables `environment`, `domain`, `workspace`,
 * `reserved_ips`, `targets`, `servers` plus the file's `variables` (only those the template declares).
 *
 * The state backend accepts only a live run's credential, so the apply is recorded as a run (action `job`,
 * workspace `_environment_`, job `<environment>`) inserted already `running` under the switch's own lease:
 * no runner claims it, the engine's credential is valid exactly while the switch applies, and the run's
 * lock key keeps two applies of one environment apart. Each engine command's output is recorded like a
 * command action's.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { EnvironmentDefinition, JsonValue, LocalTemplate } from '../config/config-model.ts';
import type { Engine } from '../engine/engine.ts';
import { dataDirLayout, prepareWorkdir } from '../engine/workdir.ts';
import { toTideError } from '../errors/tide-error.ts';
import { updateRunState } from '../run/run.repo.ts';
import type { Run } from '../run/run.ts';
import { stateAccessFor, type StateBackendEndpoint } from '../state/state-access.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { insertActionRun } from './environment.repo.ts';
import type { Target } from './environment-targets.ts';
import type { CommandResult } from './switch-command.ts';
import { runCommand } from './switch-command.ts';

/** The runs' workspace (scope) of template switch actions: not a valid workspace name, so never one. */
export const ENVIRONMENT_SCOPE = '_environment_';

const ENGINE_FLAGS = ['-input=false', '-no-color'];

export interface TemplateActionDeps {
  readonly db: Db;
  readonly clock: Clock;
  /** The engine (`tofu`, else `terraform`), or null when this server found none. */
  readonly engine: Engine | null;
  readonly stateBackend: StateBackendEndpoint;
  /** Holds `runs/<id>/work` (removed afterwards) and `plugin-cache/`. */
  readonly dataDir: string;
  /** A local template, or a git template at its pinned commit. */
  readonly resolveTemplate: (name: string) => LocalTemplate | undefined | Promise<LocalTemplate | undefined>;
  readonly newId?: () => string;
}

/** The template's variables for pointing the reserved IPs at `workspace`'s targets. */
export function templateVariables(
  environment: EnvironmentDefinition,
  targets: readonly Target[],
): Record<string, JsonValue> {
  const used = targets.slice(0, environment.reservedIps.length);
  return {
    ...(environment.action.template?.variables ?? {}),
    environment: environment.name,
    domain: environment.domain,
    reserved_ips: [...environment.reservedIps],
    targets: used.map((target) => target.resource),
    servers: used.map((target) => target.server),
  };
}

/**
 * Applies the environment's template for `workspace`'s targets. Returns the engine commands run (init,
 * apply), stopping at the first that fails; a template or engine that is missing is a failed result.
 */
export async function applyTemplateAction(
  deps: TemplateActionDeps,
  request: {
    readonly environment: EnvironmentDefinition;
    readonly workspace: string;
    readonly targets: readonly Target[];
    readonly env: Readonly<Record<string, string>>;
    readonly actor: string;
  },
): Promise<CommandResult[]> {
  const { environment, workspace } = request;
  const name = environment.action.template!.name;
  const failed = (output: string): CommandResult[] => [
    { argv: ['template', name], ok: false, exit_code: null, output },
  ];
  if (!deps.engine)
    return failed('no engine on this server: a template action needs tofu or terraform (see TIDE_TOFU_BIN)');
  const engine = deps.engine;
  const timeoutMs = environment.action.timeoutMs;
  const owner = `environment-switch:${randomUUID()}`;
  let template: LocalTemplate | undefined;
  let run: Run;
  // Never throws: the switch must record what happened and release the environment.
  try {
    template = await deps.resolveTemplate(name);
    if (!template)
      return failed(
        `template "${name}" does not exist (neither templates/${name} nor a registered git template)`,
      );
    run = await insertActionRun(deps.db, {
      id: deps.newId?.() ?? randomUUID(),
      scope: ENVIRONMENT_SCOPE,
      environment: environment.name,
      actor: request.actor,
      owner,
      now: deps.clock.now(),
      // Two engine commands, each within the timeout; the lease outlives them, so it is never renewed.
      leaseMs: 2 * timeoutMs + 60_000,
    });
  } catch (error) {
    return failed(`cannot apply template "${name}": ${toTideError(error).message}`);
  }
  const runDir = dataDirLayout.runDir(deps.dataDir, run.id);
  const results: CommandResult[] = [];
  try {
    const state = stateAccessFor(deps.stateBackend, run);
    const prepared = await prepareWorkdir({
      runDir,
      stateAddress: state.address,
      workspace: {
        name: workspace,
        directory: template.directory,
        file: '',
        files: [],
        variables: {},
        modes: {},
        sensitiveVariables: [],
      },
      template,
      variables: templateVariables(environment, request.targets),
    });
    const pluginCacheDir = path.resolve(dataDirLayout.pluginCacheDir(deps.dataDir));
    await mkdir(pluginCacheDir, { recursive: true });
    const env = {
      ...request.env,
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      TF_PLUGIN_CACHE_DIR: pluginCacheDir,
      CHECKPOINT_DISABLE: '1',
      ...(prepared.tideBackend
        ? { TF_HTTP_USERNAME: state.credential.username, TF_HTTP_PASSWORD: state.credential.password }
        : {}),
    };
    // Tide's own variables are an offer, as `workspace` is to a workspace's code: only the file's are named.
    const own = environment.action.template?.variables ?? {};
    const undeclared = prepared.undeclared.filter((variable) => Object.hasOwn(own, variable));
    const note = [
      `state in Tide (${state.key}), run ${run.id}`,
      ...(undeclared.length > 0
        ? [`not passed, the template declares no such variable: ${undeclared.join(', ')}`]
        : []),
    ].join('\n');
    for (const args of [
      ['init', ...ENGINE_FLAGS],
      ['apply', ...ENGINE_FLAGS, '-auto-approve'],
    ]) {
      const result = await runCommand([engine.bin, ...args], { env, timeoutMs, cwd: prepared.workDir });
      results.push(results.length === 0 ? { ...result, output: `${note}\n${result.output}` } : result);
      if (!result.ok) break;
    }
  } catch (error) {
    results.push({
      argv: ['template', name],
      ok: false,
      exit_code: null,
      output: `cannot prepare template "${name}": ${(error as Error).message}`,
    });
  } finally {
    const last = results.at(-1);
    const ok = last?.ok === true && results.length === 2;
    await updateRunState(deps.db, run.id, ok ? 'succeeded' : 'failed', deps.clock.now(), {
      exit_code: last?.exit_code ?? null,
      reason: ok ? null : `switch action of environment "${environment.name}" failed`,
      fence: { owner, fencingToken: run.fencing_token },
    }).catch(() => undefined);
    await rm(runDir, { recursive: true, force: true }).catch(() => undefined);
  }
  return results;
}
