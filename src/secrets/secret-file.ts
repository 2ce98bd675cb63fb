/**
 * Keys Tide generates into the data directory outside production (`encryption-key`, `audit-key`):
 * readable by Tide's user only, and written once — `wx`, so two processes starting on one data directory
 * agree on whichever key was written first.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { PRIVATE_FILE_MODE } from '../files/file-modes.ts';

/** The file's text, trimmed, or null when it does not exist. */
export async function readSecretFile(file: string): Promise<string | null> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Writes `secret` into a new 0600 file; when another process created it first, returns that one's text. */
export async function createSecretFile(file: string, secret: string): Promise<string> {
  try {
    await writeFile(file, `${secret}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const existing = await readSecretFile(file);
    if (existing === null) throw error;
    return existing;
  }
}
