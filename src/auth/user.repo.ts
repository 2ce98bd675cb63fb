/** The `users` table. Usernames are unique; a duplicate is `conflict`, named, at the store boundary. */
import type { Selectable } from 'kysely';
import { TideError } from '../errors/tide-error.ts';
import { toInstant } from '../store/dialect.ts';
import type { Db, UsersTable } from '../store/schema.ts';
import { storeCall, type UniqueViolationHandler } from '../store/store-errors.ts';
import type { Role } from './permissions.ts';
import { parsePatterns, serializePatterns, type User } from './user.ts';

export interface NewUser {
  readonly id: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly role: Role;
  readonly workspaces?: readonly string[] | null;
  readonly now: Date;
}

const duplicateUser =
  (username: string): UniqueViolationHandler =>
  (_violation, cause) =>
    new TideError('conflict', `user "${username}" already exists`, {
      details: { username },
      cause,
    });

function values(user: NewUser) {
  const now = toInstant(user.now);
  return {
    id: user.id,
    username: user.username,
    password_hash: user.passwordHash,
    role: user.role,
    workspaces: serializePatterns(user.workspaces),
    created_at: now,
    password_changed_at: now,
  };
}

export async function insertUser(db: Db, user: NewUser): Promise<User> {
  return storeCall(
    'insertUser',
    async () =>
      toUser(await db.insertInto('users').values(values(user)).returningAll().executeTakeFirstOrThrow()),
    duplicateUser(user.username),
  );
}

/** Inserts unless the username is taken (another replica bootstrapped first): null then. */
export async function insertUserIfAbsent(db: Db, user: NewUser): Promise<User | null> {
  return storeCall('insertUserIfAbsent', async () => {
    const row = await db
      .insertInto('users')
      .values(values(user))
      .onConflict((conflict) => conflict.column('username').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? toUser(row) : null;
  });
}

export async function countUsers(db: Db): Promise<number> {
  return storeCall('countUsers', async () => {
    const row = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  });
}

export async function getUserByName(db: Db, username: string): Promise<User | null> {
  return storeCall('getUserByName', async () => {
    const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    return row ? toUser(row) : null;
  });
}

export async function getUserById(db: Db, id: string): Promise<User | null> {
  return storeCall('getUserById', async () => {
    const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toUser(row) : null;
  });
}

/** Every user by name: an installation has tens, not thousands, so there is no paging. */
export async function listUsers(db: Db): Promise<User[]> {
  return storeCall('listUsers', async () =>
    (await db.selectFrom('users').selectAll().orderBy('username').execute()).map(toUser),
  );
}

export async function setPasswordHash(db: Db, id: string, passwordHash: string, now: Date): Promise<void> {
  await storeCall('setPasswordHash', () =>
    db
      .updateTable('users')
      .set({ password_hash: passwordHash, password_changed_at: toInstant(now) })
      .where('id', '=', id)
      .execute(),
  );
}

/**
 * The same password hashed anew (other parameters): the hash changes, the password's date does not. Only
 * while the stored hash is still `previous`, so a password changed meanwhile is never overwritten.
 */
export async function replacePasswordHash(
  db: Db,
  id: string,
  previous: string,
  passwordHash: string,
): Promise<void> {
  await storeCall('replacePasswordHash', () =>
    db
      .updateTable('users')
      .set({ password_hash: passwordHash })
      .where('id', '=', id)
      .where('password_hash', '=', previous)
      .execute(),
  );
}

export interface UserChanges {
  readonly role?: Role;
  readonly workspaces?: readonly string[] | null;
  readonly disabled?: boolean;
}

export async function updateUser(db: Db, id: string, changes: UserChanges): Promise<User> {
  return storeCall('updateUser', async () => {
    const row = await db
      .updateTable('users')
      .set({
        ...(changes.role === undefined ? {} : { role: changes.role }),
        ...(changes.workspaces === undefined ? {} : { workspaces: serializePatterns(changes.workspaces) }),
        ...(changes.disabled === undefined ? {} : { disabled: changes.disabled ? 1 : 0 }),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toUser(row);
  });
}

export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role as Role,
    workspaces: parsePatterns(row.workspaces),
    disabled: Number(row.disabled) === 1,
    createdAt: toInstant(row.created_at),
    passwordChangedAt: toInstant(row.password_changed_at),
  };
}
