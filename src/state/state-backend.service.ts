/**
 * The engine's side of Tide's state backend (SPEC §5): what the OpenTofu `http` backend asks of
 * `/api/v1/state/{key}` — read, write, delete, lock, unlock — for one run, authenticated by the run's
 * credential (state-credential.ts).
 *
 * Fencing: every request re-reads the run's claim, and every write does so under the run's row lock in
 * the transaction that stores the version, so a write and the reaper's orphaning of the run are ordered:
 * a version is stored only while the claim the credential was issued for is still live. A lock is held
 * by a run; a lock whose run is no longer live is stale and the next live run takes it over.
 */
import { TideError } from '../errors/tide-error.ts';
import type { Keyring } from '../secrets/encryption-key.ts';
import { inTransaction, toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import type { StateCredentials } from './state-credential.ts';
import { checksumOf, parseStateHeader } from './state-document.ts';
import { stateKeyOf } from './state-key.ts';
import { openState, sealState } from './state-sealing.ts';
import {
  deleteStateLock,
  getStateLock,
  insertStateVersion,
  latestStateVersion,
  lockRunClaim,
  lockStateKey,
  pruneStateVersions,
  putStateLock,
  runClaim,
  type RunClaimRow,
  type StateLockRow,
} from './state.repo.ts';

export interface StateBackendDeps {
  readonly db: Db;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly credentials: StateCredentials;
  /** TIDE_STATE_VERSIONS_KEEP: versions kept per state key; 0 keeps every one. */
  readonly keepVersions: number;
}

/** Who calls: the Basic credentials as sent. */
export interface RunCaller {
  readonly username: string;
  readonly password: string;
}

export type LockOutcome = { readonly locked: true } | { readonly locked: false; readonly holder: string };

/** The http backend's LOCK body: the engine's lock info. Only its ID matters to Tide. */
function lockIdOf(info: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(info);
  } catch {
    throw new TideError('validation_failed', 'the lock info is not JSON');
  }
  const id = (parsed as { ID?: unknown } | null)?.ID;
  if (typeof id !== 'string' || id === '')
    throw new TideError('validation_failed', 'the lock info has no ID');
  return id;
}

export function isLive(claim: Pick<RunClaimRow, 'state' | 'lease_expires_at'>, now: Date): boolean {
  return (
    claim.state === 'running' && claim.lease_expires_at !== null && claim.lease_expires_at > toInstant(now)
  );
}

export class StateBackendService {
  readonly #deps: StateBackendDeps;

  constructor(deps: StateBackendDeps) {
    this.#deps = deps;
  }

  /** The latest state, or null when there is none (never written, or deleted). */
  async read(key: string, caller: RunCaller): Promise<Buffer | null> {
    const { db, keyring } = this.#deps;
    await this.#authorize(db, key, caller);
    const latest = await latestStateVersion(db, key);
    if (!latest || latest.deleted) return null;
    return openState(keyring, key, latest, latest.serial);
  }

  /** Stores a new version; `lockId` is the ID the engine holds the lock under (absent when it did not lock). */
  async write(key: string, caller: RunCaller, content: Buffer, lockId: string | undefined): Promise<void> {
    const header = parseStateHeader(content);
    const { keyring, clock, keepVersions } = this.#deps;
    await inTransaction(this.#deps.db, async (trx) => {
      const claim = await this.#authorize(trx, key, caller, { forUpdate: true });
      await lockStateKey(trx, key);
      await this.#requireLockOrFree(trx, key, claim, lockId);
      const checksum = checksumOf(content);
      const latest = await latestStateVersion(trx, key);
      // The engine may send the same state twice (a retried request): one version is enough.
      if (latest && !latest.deleted && latest.checksum === checksum) return;
      await insertStateVersion(trx, {
        state_key: key,
        serial: header.serial,
        lineage: header.lineage,
        checksum,
        size: content.length,
        run_id: claim.id,
        written_by: `run:${claim.id}`,
        created_at: toInstant(clock.now()),
        ...sealState(keyring, key, content),
      });
      if (keepVersions > 0) await pruneStateVersions(trx, key, keepVersions);
    });
  }

  /** The engine deleted its state: recorded as a version without content, history kept. */
  async remove(key: string, caller: RunCaller, lockId: string | undefined): Promise<void> {
    const { keyring, clock } = this.#deps;
    await inTransaction(this.#deps.db, async (trx) => {
      const claim = await this.#authorize(trx, key, caller, { forUpdate: true });
      await lockStateKey(trx, key);
      await this.#requireLockOrFree(trx, key, claim, lockId);
      const latest = await latestStateVersion(trx, key);
      if (!latest || latest.deleted) return;
      await insertStateVersion(trx, {
        state_key: key,
        serial: latest.serial,
        lineage: latest.lineage,
        checksum: checksumOf(Buffer.alloc(0)),
        size: 0,
        deleted: 1,
        run_id: claim.id,
        written_by: `run:${claim.id}`,
        created_at: toInstant(clock.now()),
        ...sealState(keyring, key, Buffer.alloc(0)),
      });
    });
  }

  async lock(key: string, caller: RunCaller, info: string): Promise<LockOutcome> {
    const lockId = lockIdOf(info);
    return inTransaction(this.#deps.db, async (trx) => {
      const claim = await this.#authorize(trx, key, caller, { forUpdate: true });
      const current = await getStateLock(trx, key);
      if (current && current.run_id !== claim.id && (await this.#holderLive(trx, current)))
        return { locked: false, holder: current.info };
      if (current && current.run_id === claim.id && current.lock_id !== lockId)
        return { locked: false, holder: current.info };
      await putStateLock(trx, {
        state_key: key,
        lock_id: lockId,
        run_id: claim.id,
        info,
        created_at: toInstant(this.#deps.clock.now()),
      });
      return { locked: true };
    });
  }

  /** Releases the run's lock; unlocking a key that is not locked succeeds (the engine retries). */
  async unlock(key: string, caller: RunCaller, info: string): Promise<LockOutcome> {
    const lockId = lockIdOf(info);
    return inTransaction(this.#deps.db, async (trx) => {
      const claim = await this.#authorize(trx, key, caller, { forUpdate: true });
      const current = await getStateLock(trx, key);
      if (!current) return { locked: true };
      // Only the holder unlocks, under its lock ID; a lock whose run is no longer live is anyone's to clear.
      const own = current.run_id === claim.id && current.lock_id === lockId;
      if (!own && (current.run_id === claim.id || (await this.#holderLive(trx, current))))
        return { locked: false, holder: current.info };
      await deleteStateLock(trx, key);
      return { locked: true };
    });
  }

  /**
   * The run's claim, if the credential is its current one, the claim is live and the run works on this
   * state key. Unknown run or wrong password: unauthenticated; a claim that is over: lease_lost.
   */
  async #authorize(
    db: Db,
    key: string,
    caller: RunCaller,
    options: { forUpdate?: boolean } = {},
  ): Promise<RunClaimRow> {
    const claim = options.forUpdate
      ? await lockRunClaim(db, caller.username)
      : await runClaim(db, caller.username);
    if (!claim || !this.#deps.credentials.matches(claim, caller.password)) {
      // A credential issued for an earlier claim of this run also ends up here: its fencing token moved on.
      if (claim && claim.state !== 'running') throw leaseLost(claim);
      throw new TideError('unauthenticated', 'not a valid state credential of a run');
    }
    if (!isLive(claim, this.#deps.clock.now())) throw leaseLost(claim);
    if (stateKeyOf(claim) !== key)
      throw new TideError('forbidden', `run ${claim.id} may only use the state of "${stateKeyOf(claim)}"`, {
        details: { run_id: claim.id, state_key: key },
      });
    return claim;
  }

  /** A write by a run that does not hold the lock someone else holds is refused (the engine sends ?ID=). */
  async #requireLockOrFree(
    db: Db,
    key: string,
    claim: RunClaimRow,
    lockId: string | undefined,
  ): Promise<void> {
    const current = await getStateLock(db, key);
    if (!current) return;
    if (current.run_id === claim.id && (lockId === undefined || lockId === current.lock_id)) return;
    if (current.run_id !== claim.id && !(await this.#holderLive(db, current))) return;
    throw new TideError('state_locked', `the state of "${key}" is locked by run ${current.run_id}`, {
      details: { run_id: current.run_id, lock_id: current.lock_id },
    });
  }

  async #holderLive(db: Db, lock: StateLockRow): Promise<boolean> {
    const holder = await runClaim(db, lock.run_id);
    return holder !== null && isLive(holder, this.#deps.clock.now());
  }
}

function leaseLost(claim: RunClaimRow): TideError {
  return new TideError(
    'lease_lost',
    `run ${claim.id} no longer holds its lease (${claim.state}): its state credential no longer works`,
    { details: { run_id: claim.id, state: claim.state } },
  );
}
