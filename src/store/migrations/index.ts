import type { Migration } from 'kysely';
import { initial } from './0001_initial.ts';

/**
 * Every migration, in order. A static list rather than a folder scan: it survives bundling and cannot
 * pick up stray files. Names sort in apply order; never rename or reorder an applied migration.
 */
export const migrations: ReadonlyArray<readonly [name: string, migration: Migration]> = [
  ['0001_initial', initial],
];
