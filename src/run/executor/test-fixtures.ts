/**
 * Test support for the executor and the worker: workspace and job definitions as the config loader would
 * produce them, written to a temporary config directory. Not used by production code.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import {
  defaultJobTimeoutMs,
  defaultPolicy,
  type JobDefinition,
  type WorkspaceDefinition,
} from '../../config/config-model.ts';
import type { RunEventBus } from '../run-events.ts';
import { STANDALONE_WORKSPACE, type Run } from '../run.ts';

export const silentLogger = pino({ level: 'silent' });

/** Writes `files` into `<root>/workspaces/<name>/` and returns its definition. */
export async function writeWorkspace(
  root: string,
  name: string,
  files: Record<string, string>,
  overrides: Partial<WorkspaceDefinition> = {},
): Promise<WorkspaceDefinition> {
  const directory = path.join(root, 'workspaces', name);
  const all = { 'config.json': '{"enabled": true}', ...files };
  for (const [file, content] of Object.entries(all)) {
    await mkdir(path.dirname(path.join(directory, file)), { recursive: true });
    await writeFile(path.join(directory, file), content);
  }
  return workspaceDefinition({ name, directory, files: Object.keys(all).sort(), ...overrides });
}

export function workspaceDefinition(
  overrides: Partial<WorkspaceDefinition> & { name: string },
): WorkspaceDefinition {
  return {
    enabled: true,
    description: '',
    timezone: 'UTC',
    edges: [],
    uptime: [],
    enforce: false,
    calendars: [],
    modes: {},
    variables: {},
    sensitiveVariables: [],
    dependsOn: [],
    protect: false,
    driftRemediate: false,
    labels: {},
    policy: defaultPolicy,
    notifications: [],
    jobs: [],
    directory: '/nonexistent',
    file: `workspaces/${overrides.name}/config.json`,
    files: [],
    contentHash: 'test',
    ...overrides,
  };
}

export function jobDefinition(overrides: Partial<JobDefinition> & { name: string }): JobDefinition {
  return {
    scope: STANDALONE_WORKSPACE,
    description: '',
    type: 'command',
    schedules: [],
    events: [],
    environment: {},
    timeoutMs: defaultJobTimeoutMs,
    enabled: true,
    dependsOn: [],
    retries: 0,
    timezone: 'UTC',
    tags: [],
    file: `jobs/${overrides.name}.json`,
    ...overrides,
  };
}

/** Resolves with the first `run.updated` event matching `predicate`; rejects after `timeoutMs` (default 20 s). */
export function nextRunUpdate(
  hub: RunEventBus,
  predicate: (run: Run) => boolean,
  timeoutMs = 20_000,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      hub.off('run.updated', listener);
      reject(new Error(`no matching run.updated event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (run: Run): void => {
      if (!predicate(run)) return;
      clearTimeout(timer);
      hub.off('run.updated', listener);
      resolve(run);
    };
    hub.on('run.updated', listener);
  });
}
