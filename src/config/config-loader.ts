import { access } from 'node:fs/promises';
import path from 'node:path';
import { TideError } from '../errors/tide-error.ts';
import { assembleSnapshot, type AssembleOptions } from './assemble-snapshot.ts';
import type { ConfigProblem, ConfigSnapshot } from './config-model.ts';
import { listUnits, loadUnit, type AnyUnit, type LoadOptions, type UnitKind } from './config-units.ts';
import { mapWithConcurrency } from './parallel-map.ts';

/** Unit folders read at once: enough to keep the disk busy, few enough to stay far from the fd limit. */
export const UNIT_READ_CONCURRENCY = 32;

export type ConfigLoadOptions = LoadOptions & AssembleOptions;

/**
 * Loads and validates a whole config directory. Problems are collected, never thrown. `reading` is told
 * of each unit just before its files are read (the config watcher's start, config-watcher.ts).
 */
export async function loadConfigDirectory(
  directory: string,
  options: ConfigLoadOptions,
  reading?: (unit: { kind: UnitKind; id: string }) => void,
): Promise<{ snapshot: ConfigSnapshot; units: AnyUnit[] }> {
  const root = path.resolve(directory);
  try {
    await access(root);
  } catch {
    throw new TideError('not_found', `config directory ${root} does not exist`);
  }
  const loaded = await mapWithConcurrency(await listUnits(root), UNIT_READ_CONCURRENCY, (unit) => {
    reading?.(unit);
    return loadUnit(root, unit.kind, unit.id, options, true);
  });
  const units = loaded.filter((unit) => unit !== null);
  return { snapshot: assembleSnapshot(root, units, options), units };
}

/** `workspaces/web/config.json: deploy_schedule[1]: invalid cron expression …` */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.path ? `${problem.file}: ${problem.path}` : problem.file;
  return `${problem.severity === 'warning' ? 'warning: ' : ''}${where}: ${problem.message}`;
}
