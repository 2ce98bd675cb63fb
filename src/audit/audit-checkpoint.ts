/**
 * Checkpoints: the chain head (sequence = the newest entry's id, and its hash) as it was at a moment,
 * signed with the audit key and kept where someone with only database access cannot rewind it — the log
 * stream, the `tide_audit_head_sequence` metric, and `<data>/audit-checkpoint`. Every hash commits to
 * the whole log before it, so a log that still has entry N with that hash is the log as it was then, and
 * one that ends before N lost entries. docs/decisions/009-audit-anchor.md says why.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TideError } from '../errors/tide-error.ts';
import { PRIVATE_FILE_MODE } from '../files/file-modes.ts';
import { checkpointMac, macMatches, type AuditKey } from './audit-mac.ts';
import { deletedEntries, type AuditProblem } from './audit-problem.ts';

export const AUDIT_CHECKPOINT_FILE = 'audit-checkpoint';

export interface AuditCheckpoint {
  /** The id of the newest entry; 0 for an empty log. */
  readonly sequence: number;
  /** That entry's hash (64 zeros for an empty log). */
  readonly hash: string;
  /** When the checkpoint was taken (ISO-8601 UTC). */
  readonly at: string;
  readonly mac: string;
}

/** A checkpoint verification compares the log with, and where it came from. */
export interface CheckpointClaim {
  readonly sequence: number;
  readonly hash: string;
  /** Named in messages: `--checkpoint`, or the checkpoint file's path. */
  readonly source: string;
  /** Present on a checkpoint Tide wrote: checked against the key. One given by a person is trusted. */
  readonly signature?: { readonly at: string; readonly mac: string };
}

export function signCheckpoint(key: AuditKey, sequence: number, hash: string, at: string): AuditCheckpoint {
  return { sequence, hash, at, mac: checkpointMac(key, sequence, hash, at) };
}

/** `--checkpoint <sequence>:<hash>`, as a checkpoint log line shows them. */
export function parseCheckpointArgument(text: string): CheckpointClaim {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim().toLowerCase());
  if (!match) {
    throw new TideError(
      'invalid_argument',
      `--checkpoint takes <sequence>:<hash> as a checkpoint log line shows them (e.g. 42:9f86d0…, the hash in 64 hex characters); got "${text}"`,
    );
  }
  return { sequence: Number(match[1]), hash: match[2]!, source: `--checkpoint ${match[1]}` };
}

export function checkpointFile(dataDir: string): string {
  return path.join(dataDir, AUDIT_CHECKPOINT_FILE);
}

/**
 * The checkpoint in the data directory, or null when there is none. Whatever the file holds becomes a
 * signed claim: an edited or foreign file fails its signature check and is reported as such.
 */
export async function readCheckpointFile(dataDir: string): Promise<CheckpointClaim | null> {
  const file = checkpointFile(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const fields = parseObject(text);
  const sequence = Number(fields.sequence);
  return {
    sequence: Number.isSafeInteger(sequence) && sequence >= 0 ? sequence : 0,
    hash: String(fields.hash ?? ''),
    source: file,
    signature: { at: String(fields.at ?? ''), mac: String(fields.mac ?? '') },
  };
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Replaces the checkpoint file at once (write, then rename), readable by Tide's user only. */
export async function writeCheckpointFile(dataDir: string, checkpoint: AuditCheckpoint): Promise<void> {
  const file = checkpointFile(dataDir);
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(checkpoint)}\n`, { mode: PRIVATE_FILE_MODE });
  await rename(partial, file);
}

/**
 * What the log as it is now says about a checkpoint: nothing when it still holds the checkpointed entry
 * unchanged; otherwise that the checkpoint is not genuine, that the log was wiped or cut short (naming
 * the missing entries), or that the entry was rewritten.
 *
 * @param lastId the id the log now ends at (0 when empty)
 * @param storedHash the stored hash of entry `claim.sequence`, undefined when that entry is missing
 */
export function checkpointProblems(
  claim: CheckpointClaim,
  key: AuditKey,
  lastId: number,
  storedHash: string | undefined,
): AuditProblem[] {
  const { sequence, source, signature } = claim;
  if (signature && !macMatches(checkpointMac(key, sequence, claim.hash, signature.at), signature.mac)) {
    return [
      {
        id: sequence,
        kind: 'forged',
        message: `the checkpoint in ${source} is not signed by the audit key: it was edited, or not written by Tide`,
      },
    ];
  }
  if (sequence === 0) return [];
  if (lastId === 0) {
    return [
      {
        id: 1,
        kind: 'wiped',
        message: `the audit log is empty, but ${source} records entry ${sequence}: the log was wiped (${deletedEntries(1, sequence)})`,
      },
    ];
  }
  if (lastId < sequence) {
    return [
      {
        id: lastId + 1,
        kind: 'truncated',
        message: `the log ends at entry ${lastId}, but ${source} records entry ${sequence}: ${deletedEntries(lastId + 1, sequence)}`,
      },
    ];
  }
  if (storedHash === undefined || storedHash === claim.hash) return [];
  return [
    {
      id: sequence,
      kind: 'modified',
      message: `entry ${sequence} does not match ${source}: the log up to it was rewritten`,
    },
  ];
}
