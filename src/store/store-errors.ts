import { TideError } from '../errors/tide-error.ts';

/*
 * Driver errors are translated here, at the store boundary: no better-sqlite3 or pg error escapes a
 * repository. Callers see TideError codes; the driver error stays reachable as `cause`.
 */

/** Which unique constraint a write hit. `constraint` is known on PostgreSQL; SQLite names the columns. */
export interface UniqueViolation {
  constraint: string | null;
  table: string | null;
  columns: string[];
}

interface DriverErrorShape {
  code?: unknown;
  constraint?: unknown;
  table?: unknown;
  detail?: unknown;
  message?: unknown;
}

function shape(error: unknown): DriverErrorShape {
  return typeof error === 'object' && error !== null ? (error as DriverErrorShape) : {};
}

const SQLITE_UNIQUE_CODES = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
const PG_UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown): boolean {
  const { code } = shape(error);
  return typeof code === 'string' && (SQLITE_UNIQUE_CODES.has(code) || code === PG_UNIQUE_VIOLATION);
}

/** The constraint behind a unique violation, or null if `error` is not one. */
export function uniqueViolation(error: unknown): UniqueViolation | null {
  if (!isUniqueViolation(error)) return null;
  const { constraint, table, detail, message } = shape(error);
  // PostgreSQL: detail = 'Key (workspace, schedule_key)=(…) already exists.' — keep the names, not values.
  const pgColumns = typeof detail === 'string' ? /^Key \(([^)]*)\)=/.exec(detail)?.[1] : undefined;
  if (pgColumns !== undefined || typeof constraint === 'string') {
    return {
      constraint: typeof constraint === 'string' ? constraint : null,
      table: typeof table === 'string' ? table : null,
      columns: pgColumns ? pgColumns.split(',').map((column) => column.trim()) : [],
    };
  }
  // SQLite: message = 'UNIQUE constraint failed: runs.lock_key' (table.column, comma separated).
  const sqliteTargets =
    typeof message === 'string' ? /constraint failed: (.*)$/.exec(message)?.[1] : undefined;
  const qualified = (sqliteTargets ?? '').split(',').map((target) => target.trim().split('.'));
  return {
    constraint: null,
    table: qualified[0]?.length === 2 ? (qualified[0][0] ?? null) : null,
    columns: qualified.flatMap((parts) => (parts.length === 2 && parts[1] ? [parts[1]] : [])),
  };
}

/**
 * Whether a violation is of the given constraint: by name on PostgreSQL, by table and columns on SQLite
 * (which reports columns, not index names).
 */
export function violates(
  violation: UniqueViolation,
  target: { constraint: string; table: string; columns: readonly string[] },
): boolean {
  if (violation.constraint !== null) return violation.constraint === target.constraint;
  return (
    violation.table === target.table &&
    violation.columns.length === target.columns.length &&
    target.columns.every((column) => violation.columns.includes(column))
  );
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '3D000', // invalid_catalog_name: the database does not exist
]);

/** The database could not be reached or could not take the write right now (503, retry later). */
export function isUnavailable(error: unknown): boolean {
  const { code, message } = shape(error);
  if (typeof code === 'string') {
    if (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || code.startsWith('SQLITE_IOERR')) return true;
    if (code.startsWith('SQLITE_BUSY')) return true;
  }
  return typeof message === 'string' && /Connection terminated|connection timeout/i.test(message);
}

export type UniqueViolationHandler = (violation: UniqueViolation, cause: unknown) => TideError | undefined;

/**
 * Turns anything thrown by a driver into a TideError. `onUnique` maps the unique constraints the caller
 * expects to domain codes; any other unique violation becomes `conflict`.
 */
export function translateStoreError(
  error: unknown,
  operation: string,
  onUnique?: UniqueViolationHandler,
): TideError {
  if (error instanceof TideError) return error;
  const violation = uniqueViolation(error);
  if (violation) {
    const mapped = onUnique?.(violation, error);
    if (mapped) return mapped;
    return new TideError('conflict', `${operation}: a row with the same key already exists`, {
      details: { constraint: violation.constraint, table: violation.table, columns: violation.columns },
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (isUnavailable(error)) {
    return new TideError('database_unavailable', `${operation}: the database is unavailable: ${message}`, {
      cause: error,
    });
  }
  return new TideError('internal', `${operation}: database error: ${message}`, { cause: error });
}

/** Runs one repository operation and translates whatever the driver throws. */
export async function storeCall<T>(
  operation: string,
  fn: () => Promise<T>,
  onUnique?: UniqueViolationHandler,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translateStoreError(error, operation, onUnique);
  }
}
