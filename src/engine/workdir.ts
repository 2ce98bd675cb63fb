/**
 * The working directory of one run (SPEC §5): built fresh from the source — the template's files, then
 * the workspace's files over them — plus the generated variables file (only the variables the code
 * declares) and, when the code configures no backend, an `http` backend block pointing at Tide's state
 * backend (src/state/). State never lives in the working directory, nor anywhere on a replica's disk.
 */
import { constants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  DEFAULT_MODE,
  type JsonValue,
  type LocalTemplate,
  type WorkspaceDefinition,
} from '../config/config-model.ts';
import { TideError } from '../errors/tide-error.ts';
import { PRIVATE_DIR_MODE } from '../files/file-modes.ts';
import { declaredVariables } from './declared-variables.ts';

export const TFVARS_FILE = 'tide.auto.tfvars.json';
export const BACKEND_FILE = 'tide_backend.tf';

/** Where things live under the data directory. */
export const dataDirLayout = {
  runDir: (dataDir: string, runId: string) => path.join(dataDir, 'runs', runId),
  workDir: (runDir: string) => path.join(runDir, 'work'),
  pluginCacheDir: (dataDir: string) => path.join(dataDir, 'plugin-cache'),
  erroredStateDir: (dataDir: string) => path.join(dataDir, 'errored-state'),
};

/**
 * What the working directory is built from: a workspace, or for a template job a stand-in with the
 * template's name and no files of its own.
 */
export type WorkdirSource = Pick<
  WorkspaceDefinition,
  'name' | 'directory' | 'file' | 'files' | 'variables' | 'modes' | 'sensitiveVariables'
>;

export interface PrepareWorkdirOptions {
  /** `<dataDir>/runs/<run-id>`; the working directory is its `work/` folder. */
  readonly runDir: string;
  /** The state backend's address for this run's state (`…/api/v1/state/<key>`). */
  readonly stateAddress: string;
  readonly workspace: WorkdirSource;
  readonly template?: LocalTemplate | undefined;
  /** Applied after the workspace's and the mode's variables (e.g. a run's own). */
  readonly variables?: Readonly<Record<string, JsonValue>>;
  /** The run's mode; null or undefined means `default`. */
  readonly mode?: string | null;
  /** Values of sensitive variables (from the encrypted store): they reach the engine only as TF_VAR_*. */
  readonly secrets?: Readonly<Record<string, string>>;
}

export interface PreparedWorkdir {
  readonly workDir: string;
  /** TF_VAR_<name> for every sensitive variable: the engine's environment, never a file. */
  readonly env: Readonly<Record<string, string>>;
  /** The values to mask in the run's log. */
  readonly secretValues: readonly string[];
  /** Whether tide_backend.tf was written (false: the code configures its own backend). */
  readonly tideBackend: boolean;
  /** Configured variables the code does not declare: not passed to the engine, named in the run's log. */
  readonly undeclared: readonly string[];
}

export async function prepareWorkdir(options: PrepareWorkdirOptions): Promise<PreparedWorkdir> {
  const { workspace, template } = options;
  const workDir = path.resolve(dataDirLayout.workDir(options.runDir));
  // Fresh: whatever an earlier attempt left (a plan file, .terraform) must not leak into this run.
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (template) await copyFiles(template.directory, template.files, workDir);
  // The workspace's Tide config file is not engine code.
  const ownConfig = path.basename(workspace.file);
  await copyFiles(
    workspace.directory,
    workspace.files.filter((file) => file !== ownConfig),
    workDir,
  );

  const { variables, env, secretValues, undeclared } = engineVariables(
    options,
    await declaredVariables(workDir),
  );
  await writeFile(path.join(workDir, TFVARS_FILE), `${JSON.stringify(variables, null, 2)}\n`, {
    mode: 0o600,
  });

  const tideBackend = !(await configuresBackend(workDir));
  if (tideBackend) await writeFile(path.join(workDir, BACKEND_FILE), httpBackendBlock(options.stateAddress));
  return { workDir, env, secretValues, tideBackend, undeclared };
}

/**
 * The tfvars content, the TF_VAR_* environment and what is left out. A value for a variable the code does
 * not declare only earns an engine warning on every run; `workspace` and `mode` are Tide's offer to any
 * code, so leaving them out needs no mention. `declared` null: no code to tell by, everything passes.
 */
function engineVariables(options: PrepareWorkdirOptions, declared: ReadonlySet<string> | null) {
  const { workspace } = options;
  const mode = options.mode ?? DEFAULT_MODE;
  const { plain, sensitive } = splitSensitive(
    { ...workspace.variables, ...(workspace.modes[mode] ?? {}), ...(options.variables ?? {}) },
    workspace.sensitiveVariables,
    options.secrets ?? {},
  );
  const isDeclared = (name: string): boolean => declared === null || declared.has(name);
  const keep = <T>(values: Record<string, T>) => Object.entries(values).filter(([name]) => isDeclared(name));
  // The Provisioner passed a mode deploy's mode as `deployment_mode`: code written for it declares that.
  const provisionerMode: Record<string, string> =
    options.mode && options.mode !== DEFAULT_MODE && declared?.has('deployment_mode')
      ? { deployment_mode: options.mode }
      : {};
  return {
    variables: Object.fromEntries(keep({ ...plain, workspace: workspace.name, mode, ...provisionerMode })),
    env: Object.fromEntries(keep(sensitive).map(([name, text]) => [`TF_VAR_${name}`, text])),
    secretValues: Object.values(sensitive),
    undeclared: [...Object.keys(plain), ...Object.keys(sensitive)].filter((name) => !isDeclared(name)).sort(),
  };
}

/**
 * Sensitive variables (as text: they reach the engine as TF_VAR_*) apart from the others; a stored secret
 * wins over a configured value.
 */
function splitSensitive(
  variables: Readonly<Record<string, JsonValue>>,
  sensitiveNames: readonly string[],
  secrets: Readonly<Record<string, string>>,
): { plain: Record<string, JsonValue>; sensitive: Record<string, string> } {
  const plain = { ...variables };
  const sensitive: Record<string, string> = {};
  for (const name of new Set([...sensitiveNames, ...Object.keys(secrets)])) {
    const value = secrets[name] ?? plain[name];
    delete plain[name];
    if (value === undefined) continue;
    // The engine reads complex TF_VAR_ values as HCL, of which JSON is a subset.
    sensitive[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return { plain, sensitive };
}

/** Copies regular files only: symbolic links are never followed (they could point anywhere on the host). */
async function copyFiles(fromDir: string, files: readonly string[], toDir: string): Promise<void> {
  for (const file of files) {
    const target = path.resolve(toDir, file);
    if (path.isAbsolute(file) || !target.startsWith(toDir + path.sep)) {
      throw new TideError(
        'invalid_argument',
        `refusing to copy ${file}: it is outside the working directory`,
      );
    }
    const source = path.join(fromDir, file);
    const info = await lstat(source);
    if (!info.isFile()) continue;
    await mkdir(path.dirname(target), { recursive: true });
    // The overlay replaces the template's file: remove first so a read-only template file can be replaced.
    await rm(target, { force: true });
    await copyFile(source, target, constants.COPYFILE_EXCL);
    await chmod(target, info.mode & 0o777);
  }
}

/** Whether a top-level `*.tf` / `*.tf.json` file declares a `backend` (or `cloud`) block. */
export async function configuresBackend(workDir: string): Promise<boolean> {
  const entries = await readdir(workDir, { withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    if (entry.name.endsWith('.tf')) {
      const text = stripComments(await readFile(path.join(workDir, entry.name), 'utf8'));
      if (/^\s*(backend\s+"|cloud\s*\{)/m.test(text)) return true;
    } else if (entry.name.endsWith('.tf.json')) {
      if (/"(backend|cloud)"\s*:/.test(await readFile(path.join(workDir, entry.name), 'utf8'))) return true;
    }
  }
  return false;
}

function stripComments(hcl: string): string {
  return hcl.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*(#|\/\/).*$/gm, '');
}

/**
 * The engine's `http` backend on Tide's state API, locking included. The run's credential is not here
 * (the file is on disk): the engine reads it from TF_HTTP_USERNAME / TF_HTTP_PASSWORD. Retries ride out a
 * replica restarting behind a load balancer.
 */
function httpBackendBlock(address: string): string {
  // JSON string escaping is valid HCL; `${` and `%{` would start a template, which a backend may not use.
  const quoted = JSON.stringify(address).replace(/([$%])\{/g, '$1$1{');
  return [
    "# Generated by Tide: state lives in Tide's database (docs/ha.md, state backend).",
    'terraform {',
    '  backend "http" {',
    `    address        = ${quoted}`,
    `    lock_address   = ${quoted}`,
    `    unlock_address = ${quoted}`,
    '    retry_max      = 5',
    '  }',
    '}',
    '',
  ].join('\n');
}
