/**
 * Login sessions (refresh-token families) and their refresh tokens. Spending a token is one conditional
 * UPDATE, so two requests racing with the same token cannot both win: the loser sees it spent, which is
 * exactly what a stolen-and-replayed token looks like, and the family is revoked.
 */
import { toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';

export type RevokeReason = 'logout' | 'reuse' | 'password_change' | 'user_disabled';

export async function createFamily(db: Db, family: { id: string; userId: string; now: Date }): Promise<void> {
  await storeCall('createFamily', () =>
    db
      .insertInto('refresh_token_families')
      .values({ id: family.id, user_id: family.userId, created_at: toInstant(family.now) })
      .execute(),
  );
}

export async function insertRefreshToken(
  db: Db,
  token: { hash: string; familyId: string; now: Date; expiresAt: Date },
): Promise<void> {
  await storeCall('insertRefreshToken', () =>
    db
      .insertInto('refresh_tokens')
      .values({
        token_hash: token.hash,
        family_id: token.familyId,
        created_at: toInstant(token.now),
        expires_at: toInstant(token.expiresAt),
      })
      .execute(),
  );
}

export type SpendResult =
  | { readonly kind: 'spent'; readonly familyId: string }
  /** Already exchanged once: someone holds a copy. */
  | { readonly kind: 'reused'; readonly familyId: string }
  /** Unknown, or expired. */
  | { readonly kind: 'invalid' };

export async function spendRefreshToken(db: Db, hash: string, now: Date): Promise<SpendResult> {
  return storeCall('spendRefreshToken', async () => {
    const at = toInstant(now);
    const spent = await db
      .updateTable('refresh_tokens')
      .set({ used_at: at })
      .where('token_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .returning('family_id')
      .executeTakeFirst();
    if (spent) return { kind: 'spent', familyId: spent.family_id };
    const row = await db
      .selectFrom('refresh_tokens')
      .select(['family_id', 'used_at', 'expires_at'])
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    if (row && row.used_at !== null && toInstant(row.expires_at) > at)
      return { kind: 'reused', familyId: row.family_id };
    return { kind: 'invalid' };
  });
}

/** The family of an unspent token, without spending it (logout names the session by its refresh token). */
export async function familyOfToken(db: Db, hash: string): Promise<string | null> {
  return storeCall('familyOfToken', async () => {
    const row = await db
      .selectFrom('refresh_tokens')
      .select('family_id')
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    return row?.family_id ?? null;
  });
}

export interface SessionState {
  readonly familyId: string;
  readonly userId: string;
  readonly revoked: boolean;
}

export async function getSession(db: Db, familyId: string): Promise<SessionState | null> {
  return storeCall('getSession', async () => {
    const row = await db
      .selectFrom('refresh_token_families')
      .select(['id', 'user_id', 'revoked_at'])
      .where('id', '=', familyId)
      .executeTakeFirst();
    return row ? { familyId: row.id, userId: row.user_id, revoked: row.revoked_at !== null } : null;
  });
}

/**
 * When the session ends unless it is refreshed again: the expiry of its newest refresh token (null when
 * it has none). What an API token created in the session may not outlive.
 */
export async function sessionExpiry(db: Db, familyId: string): Promise<string | null> {
  return storeCall('sessionExpiry', async () => {
    const row = await db
      .selectFrom('refresh_tokens')
      .select((eb) => eb.fn.max('expires_at').as('expires_at'))
      .where('family_id', '=', familyId)
      .executeTakeFirst();
    return row?.expires_at ? toInstant(row.expires_at) : null;
  });
}

/** Revokes one family; true if it was live until now. */
export async function revokeFamily(
  db: Db,
  familyId: string,
  reason: RevokeReason,
  now: Date,
): Promise<boolean> {
  return storeCall('revokeFamily', async () => {
    const result = await db
      .updateTable('refresh_token_families')
      .set({ revoked_at: toInstant(now), revoke_reason: reason })
      .where('id', '=', familyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  });
}

/** Revokes every live session of a user (password change, account disabled); returns how many. */
export async function revokeUserFamilies(
  db: Db,
  userId: string,
  reason: RevokeReason,
  now: Date,
): Promise<number> {
  return storeCall('revokeUserFamilies', async () => {
    const result = await db
      .updateTable('refresh_token_families')
      .set({ revoked_at: toInstant(now), revoke_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  });
}

/**
 * Drops the family's expired tokens. Called on each rotation, so a long session keeps a handful of rows;
 * an expired token replayed later is merely invalid (its reuse can no longer be told apart), which is
 * harmless: it cannot be exchanged either way.
 */
export async function pruneExpiredTokens(db: Db, familyId: string, now: Date): Promise<void> {
  await storeCall('pruneExpiredTokens', () =>
    db
      .deleteFrom('refresh_tokens')
      .where('family_id', '=', familyId)
      .where('expires_at', '<=', toInstant(now))
      .execute(),
  );
}
