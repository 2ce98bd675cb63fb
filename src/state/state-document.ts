/**
 * What Tide reads of an engine state document: its serial and lineage, to list versions and to write a
 * rollback the engine accepts. Anything else in it is the engine's business and is stored as sent.
 */
import { createHash } from 'node:crypto';
import { TideError } from '../errors/tide-error.ts';

export interface StateHeader {
  readonly serial: number;
  readonly lineage: string;
}

export function parseStateHeader(content: Buffer): StateHeader {
  let document: unknown;
  try {
    document = JSON.parse(content.toString('utf8'));
  } catch {
    throw new TideError('validation_failed', 'the state is not JSON');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw new TideError('validation_failed', 'the state is not a JSON object');
  const { serial, lineage } = document as Record<string, unknown>;
  if (typeof serial !== 'number' || !Number.isInteger(serial) || serial < 0)
    throw new TideError('validation_failed', 'the state has no serial (a non-negative integer)');
  if (typeof lineage !== 'string' || lineage === '')
    throw new TideError('validation_failed', 'the state has no lineage');
  return { serial, lineage };
}

/**
 * The same state with another serial. The engine refuses to replace a state by one with a lower serial,
 * so a rollback writes the old content under a serial above the current one.
 */
export function withSerial(content: Buffer, serial: number): Buffer {
  const document = JSON.parse(content.toString('utf8')) as Record<string, unknown>;
  return Buffer.from(`${JSON.stringify({ ...document, serial }, null, 2)}\n`, 'utf8');
}

export function checksumOf(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
