/**
 * A workspace's state as people see it (SPEC §5, §6): its versions (who or which run wrote each, when,
 * serial, size), the content of one (admins only: state holds every secret the resources have), and a
 * rollback that writes an old version anew, on top, so history only grows. Also the re-encryption of
 * versions still under a previous key, the state half of a key rotation.
 */
import { TideError } from '../errors/tide-error.ts';
import type { Keyring } from '../secrets/encryption-key.ts';
import { inTransaction, toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { isLive } from './state-backend.service.ts';
import { checksumOf, withSerial } from './state-document.ts';
import { openState, sealState } from './state-sealing.ts';
import {
  countStateVersions,
  getStateLock,
  insertStateVersion,
  latestStateVersion,
  listStateVersions,
  lockStateKey,
  pruneStateVersions,
  replaceStateSealed,
  runClaim,
  stateRowsNotUnderKey,
  stateVersionBySerial,
  type StateVersionRow,
  type StateVersionSummary,
} from './state.repo.ts';

export interface StateVersionView {
  readonly serial: number;
  readonly lineage: string;
  /** SHA-256 of the content. */
  readonly checksum: string;
  readonly size: number;
  /** The engine deleted the state here: no content. */
  readonly deleted: boolean;
  readonly run_id: string | null;
  readonly written_by: string;
  readonly created_at: string;
}

export interface StateLockView {
  readonly run_id: string;
  readonly since: string;
  /** The engine's lock info (operation, who), as the engine sent it. */
  readonly info: unknown;
}

export interface StateView {
  readonly state_key: string;
  /** How many versions are stored (the list below is a page of them, newest first). */
  readonly total: number;
  readonly versions: readonly StateVersionView[];
  /** The lock a live run holds; null when unlocked (a lock left by a run that ended is not shown). */
  readonly lock: StateLockView | null;
}

export interface StateServiceDeps {
  readonly db: Db;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly keepVersions: number;
}

function viewOf(row: StateVersionSummary): StateVersionView {
  return {
    serial: row.serial,
    lineage: row.lineage,
    checksum: row.checksum,
    size: row.size,
    deleted: row.deleted === 1,
    run_id: row.run_id,
    written_by: row.written_by,
    created_at: toInstant(row.created_at),
  };
}

export class StateService {
  readonly #deps: StateServiceDeps;

  constructor(deps: StateServiceDeps) {
    this.#deps = deps;
  }

  async describe(key: string, limit = 50): Promise<StateView> {
    const { db, clock } = this.#deps;
    const [rows, total, lock] = [
      await listStateVersions(db, key, { limit }),
      await countStateVersions(db, key),
      await getStateLock(db, key),
    ];
    const holder = lock ? await runClaim(db, lock.run_id) : null;
    const live = lock && holder && isLive(holder, clock.now());
    return {
      state_key: key,
      total,
      versions: rows.map(viewOf),
      lock: live
        ? { run_id: lock.run_id, since: toInstant(lock.created_at), info: parseJson(lock.info) }
        : null,
    };
  }

  /** The content of a version (the latest when `serial` is absent). */
  async pull(key: string, serial?: number): Promise<{ version: StateVersionView; content: Buffer }> {
    const row = await this.#find(this.#deps.db, key, serial);
    if (row.deleted)
      throw new TideError(
        'not_found',
        `state serial ${row.serial} of "${key}" is a deletion: it has no content`,
      );
    return { version: viewOf(row), content: openState(this.#deps.keyring, key, row, row.serial) };
  }

  /**
   * Writes version `serial`'s content as the newest version, under a serial above the current one so the
   * engine takes it. Refused while a live run holds the state's lock.
   */
  async rollback(key: string, serial: number, actor: string): Promise<StateVersionView> {
    const { keyring, clock, keepVersions } = this.#deps;
    return inTransaction(this.#deps.db, async (trx) => {
      await lockStateKey(trx, key);
      const lock = await getStateLock(trx, key);
      const holder = lock ? await runClaim(trx, lock.run_id) : null;
      if (lock && holder && isLive(holder, clock.now()))
        throw new TideError(
          'state_locked',
          `the state of "${key}" is locked by run ${lock.run_id}: try again after it ends`,
          {
            details: { run_id: lock.run_id },
          },
        );
      const target = await this.#find(trx, key, serial);
      if (target.deleted)
        throw new TideError(
          'invalid_argument',
          `state serial ${serial} of "${key}" is a deletion: nothing to roll back to`,
        );
      const latest = await latestStateVersion(trx, key);
      const content = withSerial(openState(keyring, key, target, target.serial), (latest?.serial ?? 0) + 1);
      const row = {
        state_key: key,
        serial: (latest?.serial ?? 0) + 1,
        lineage: target.lineage,
        checksum: checksumOf(content),
        size: content.length,
        run_id: null,
        written_by: `user:${actor}`,
        created_at: toInstant(clock.now()),
        ...sealState(keyring, key, content),
      };
      await insertStateVersion(trx, row);
      if (keepVersions > 0) await pruneStateVersions(trx, key, keepVersions);
      return viewOf({ ...row, id: 0, deleted: 0 });
    });
  }

  /** Re-encrypts every version not under the current key; returns how many. Unreadable rows stay as they are. */
  async rotate(): Promise<{ reencrypted: number; unreadable: string[] }> {
    const { db, keyring } = this.#deps;
    let reencrypted = 0;
    const unreadable: string[] = [];
    const skipped = new Set<number>();
    for (;;) {
      const batch = (await stateRowsNotUnderKey(db, keyring.current.id, 100 + skipped.size)).filter(
        (row) => !skipped.has(row.id),
      );
      if (batch.length === 0) return { reencrypted, unreadable };
      for (const row of batch) {
        let content: Buffer;
        try {
          content = openState(keyring, row.state_key, row, row.serial);
        } catch {
          skipped.add(row.id);
          unreadable.push(`${row.state_key}@${row.serial}`);
          continue;
        }
        await replaceStateSealed(db, row.id, sealState(keyring, row.state_key, content));
        reencrypted += 1;
      }
    }
  }

  async #find(db: Db, key: string, serial: number | undefined): Promise<StateVersionRow> {
    const row =
      serial === undefined ? await latestStateVersion(db, key) : await stateVersionBySerial(db, key, serial);
    if (!row)
      throw new TideError(
        'not_found',
        serial === undefined ? `"${key}" has no state yet` : `"${key}" has no state with serial ${serial}`,
        { details: { state_key: key, ...(serial === undefined ? {} : { serial }) } },
      );
    return row;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
