/** The `api_tokens` table: tokens for scripts and CI, found by the SHA-256 of the secret. */
import type { Selectable } from 'kysely';
import { TideError } from '../errors/tide-error.ts';
import { toInstant } from '../store/dialect.ts';
import { API_TOKENS_LIVE_OWNER_NAME_UNIQUE } from '../store/constraints.ts';
import type { ApiTokensTable, Db } from '../store/schema.ts';
import { storeCall, violates } from '../store/store-errors.ts';
import type { Role } from './permissions.ts';
import { parsePatterns, serializePatterns } from './user.ts';

export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly userId: string;
  readonly role: Role;
  readonly workspaces: readonly string[] | null;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}

export interface NewApiToken {
  readonly id: string;
  readonly name: string;
  readonly hash: string;
  readonly userId: string;
  readonly role: Role;
  readonly workspaces: readonly string[] | null;
  readonly now: Date;
  readonly expiresAt: Date | null;
}

export async function insertApiToken(db: Db, token: NewApiToken): Promise<ApiToken> {
  return storeCall(
    'insertApiToken',
    async () =>
      toApiToken(
        await db
          .insertInto('api_tokens')
          .values({
            id: token.id,
            name: token.name,
            token_hash: token.hash,
            user_id: token.userId,
            role: token.role,
            workspaces: serializePatterns(token.workspaces),
            created_at: toInstant(token.now),
            expires_at: token.expiresAt ? toInstant(token.expiresAt) : null,
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      ),
    // Names are unique per owner (among live tokens), so this only ever names the caller's own token.
    (violation, cause) =>
      violates(violation, {
        constraint: API_TOKENS_LIVE_OWNER_NAME_UNIQUE,
        table: 'api_tokens',
        columns: ['user_id', 'name'],
      })
        ? new TideError(
            'conflict',
            `you already have a token named "${token.name}"; revoke it or pick another name`,
            { details: { name: token.name }, cause },
          )
        : undefined,
  );
}

/** A token that may be used now: not revoked, not expired. */
export async function findLiveApiToken(db: Db, hash: string, now: Date): Promise<ApiToken | null> {
  return storeCall('findLiveApiToken', async () => {
    const at = toInstant(now);
    const row = await db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
      .executeTakeFirst();
    return row ? toApiToken(row) : null;
  });
}

/** A token with its owner's name. */
export type OwnedApiToken = ApiToken & { readonly owner: string };

export async function getApiToken(db: Db, id: string): Promise<OwnedApiToken | null> {
  return storeCall('getApiToken', async () => {
    const row = await db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .selectAll('api_tokens')
      .select('users.username as owner')
      .where('api_tokens.id', '=', id)
      .executeTakeFirst();
    return row ? { ...toApiToken(row), owner: row.owner } : null;
  });
}

/** Newest first, with the owner's name; one user's, or everyone's (`userId` undefined). */
export async function listApiTokens(db: Db, query: { userId?: string }): Promise<OwnedApiToken[]> {
  return storeCall('listApiTokens', async () => {
    const rows = await db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .selectAll('api_tokens')
      .select('users.username as owner')
      .$if(query.userId !== undefined, (qb) => qb.where('api_tokens.user_id', '=', query.userId ?? ''))
      .orderBy('api_tokens.created_at', 'desc')
      .orderBy('api_tokens.id', 'desc')
      .execute();
    return rows.map((row) => ({ ...toApiToken(row), owner: row.owner }));
  });
}

/** Marks the token revoked; false if it already was. */
export async function revokeApiToken(db: Db, id: string, now: Date): Promise<boolean> {
  return storeCall('revokeApiToken', async () => {
    const result = await db
      .updateTable('api_tokens')
      .set({ revoked_at: toInstant(now) })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  });
}

/** Revokes every live token of a user (password change, account disabled); returns how many. */
export async function revokeUserApiTokens(db: Db, userId: string, now: Date): Promise<number> {
  return storeCall('revokeUserApiTokens', async () => {
    const result = await db
      .updateTable('api_tokens')
      .set({ revoked_at: toInstant(now) })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  });
}

function toApiToken(row: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: row.id,
    name: row.name,
    userId: row.user_id,
    role: row.role as Role,
    workspaces: parsePatterns(row.workspaces),
    createdAt: toInstant(row.created_at),
    expiresAt: row.expires_at === null ? null : toInstant(row.expires_at),
    revokedAt: row.revoked_at === null ? null : toInstant(row.revoked_at),
  };
}
