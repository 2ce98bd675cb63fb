/**
 * First start (SPEC §6): with no users at all, Tide creates `admin` (role admin) with a random password,
 * printed once to stdout and written to `<data>/initial-admin-password` (mode 0600) for whoever reads
 * the files rather than the console. Change it (`tide user passwd admin`) and delete the file. With
 * several replicas starting together, the unique username lets exactly one of them create the user.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuditRecorder } from '../audit/audit-entry.ts';
import type { Logger } from '../log/logger.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { recordAuthEvent } from './auth-audit.ts';
import { hashPassword } from './password-hash.ts';
import { assertPasswordAcceptable } from './password-policy.ts';
import { countUsers, insertUserIfAbsent } from './user.repo.ts';

export const INITIAL_ADMIN_FILE = 'initial-admin-password';
export const INITIAL_ADMIN_USERNAME = 'admin';

export interface BootstrapDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly dataDir: string;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
  readonly audit: AuditRecorder;
  /** Where the password is shown once (stdout for `tide serve`). */
  readonly print: (text: string) => void;
}

/** Creates the first admin when the store has no user; returns whether it did. */
export async function bootstrapAdmin(deps: BootstrapDeps): Promise<boolean> {
  if ((await countUsers(deps.db)) > 0) return false;
  // 144 random bits in 24 characters: far from anything the password policy calls common.
  const password = randomBytes(18).toString('base64url');
  assertPasswordAcceptable(password, INITIAL_ADMIN_USERNAME);
  const user = await insertUserIfAbsent(deps.db, {
    id: randomUUID(),
    username: INITIAL_ADMIN_USERNAME,
    passwordHash: await hashPassword(password),
    role: 'admin',
    now: deps.clock.now(),
  });
  if (!user) return false;
  const file = path.join(deps.dataDir, INITIAL_ADMIN_FILE);
  // Removed first: `mode` applies only when a file is created, and a leftover may have any mode.
  await rm(file, { force: true });
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  deps.print(
    [
      '',
      'Tide created the first user: admin',
      `  password: ${password}`,
      `  (also in ${file}, readable only by this user)`,
      'Log in with `tide login --username admin`, change it with `tide user passwd admin`, then delete the file.',
      '',
    ].join('\n'),
  );
  deps.logger.warn(
    { file, username: INITIAL_ADMIN_USERNAME },
    'created the first admin; its password is in the file',
  );
  await recordAuthEvent(
    { audit: deps.audit, logger: deps.logger },
    { sourceIp: null, requestId: null },
    {
      actor: 'tide',
      action: 'user.create',
      target: `user:${INITIAL_ADMIN_USERNAME}`,
      result: 'success',
      details: { role: 'admin', bootstrap: true },
    },
  );
  return true;
}
