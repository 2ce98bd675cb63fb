/**
 * The data directory holds the SQLite database, the generated keys, the first admin's password, the
 * audit checkpoint and run directories: nobody but Tide's user may enter it
 * (docs/security.md, "Files at rest"). Every file Tide writes there is created 0600 and every directory
 * 0700 by the code that writes it; this is the start-up half: it creates the directory and its top-level
 * directories 0700, and tightens what an older version, a restore or a copy left looser.
 */
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { AUDIT_CHECKPOINT_FILE } from '../audit/audit-checkpoint.ts';
import { AUDIT_KEY_FILE } from '../audit/audit-key.ts';
import { INITIAL_ADMIN_FILE } from '../auth/bootstrap-admin.ts';
import { JWT_SECRET_FILE } from '../auth/jwt-secret.ts';
import { dataDirLayout } from '../engine/workdir.ts';
import { LOCAL_STATE_ROOT } from '../state/local-state-import.ts';
import { KEY_FILE_NAME } from '../secrets/encryption-key.ts';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../files/file-modes.ts';

/**
 * Only files Tide itself writes are touched: a data directory pointed at a folder that holds other
 * things (`--data-dir .`) must not have them changed. The SQLite files are tightened when opened
 * (src/store/database.ts).
 */
const TIDE_FILES = [
  JWT_SECRET_FILE,
  KEY_FILE_NAME,
  AUDIT_KEY_FILE,
  AUDIT_CHECKPOINT_FILE,
  INITIAL_ADMIN_FILE,
];

/**
 * Creates the data directory and its `runs` and plugin-cache directories 0700, and brings existing ones
 * to 0700 and Tide's files (including state files an older version left, until they are imported) to 0600. Deeper levels
 * are left as they are — run directories and the plugin cache hold executables — since nobody else can
 * reach them through a 0700 parent. A mode that cannot be changed (a file owned by another user) is
 * logged, not fatal.
 */
export async function secureDataDir(
  dataDir: string,
  logger: { warn(fields: object, message: string): void },
): Promise<void> {
  // Left by versions before state lived in the database, until its files are imported at start.
  const stateRoot = path.join(dataDir, LOCAL_STATE_ROOT);
  const dirs = [
    dataDir,
    path.dirname(dataDirLayout.runDir(dataDir, 'run')),
    dataDirLayout.pluginCacheDir(dataDir),
  ];
  for (const dir of dirs) await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const tightened: string[] = [];
  const failed: string[] = [];
  const tighten = async (target: string, mode: number): Promise<void> => {
    const info = await lstat(target).catch(() => null);
    // Symbolic links are not followed: their target is not Tide's to change.
    if (!info || info.isSymbolicLink() || (info.mode & 0o777) === mode) return;
    await chmod(target, mode).then(
      () => tightened.push(target),
      () => failed.push(target),
    );
  };
  for (const dir of dirs) await tighten(dir, PRIVATE_DIR_MODE);
  await tighten(stateRoot, PRIVATE_DIR_MODE);
  for (const file of TIDE_FILES) await tighten(path.join(dataDir, file), PRIVATE_FILE_MODE);
  for (const workspace of await readdir(stateRoot, { withFileTypes: true }).catch(() => [])) {
    if (!workspace.isDirectory()) continue;
    const stateDir = path.join(stateRoot, workspace.name);
    await tighten(stateDir, PRIVATE_DIR_MODE);
    for (const file of await readdir(stateDir, { withFileTypes: true })) {
      if (file.isFile()) await tighten(path.join(stateDir, file.name), PRIVATE_FILE_MODE);
    }
  }
  if (tightened.length > 0)
    logger.warn(
      { paths: tightened },
      'made data directory entries private to the user Tide runs as (0700/0600)',
    );
  if (failed.length > 0)
    logger.warn(
      { paths: failed },
      'could not make these data directory entries private: fix their owner or mode',
    );
}
