/**
 * Who a person signed in through the identity provider is in Tide. The person is the provider's
 * `iss` + `sub` (oidc_identities), never the username: on first sign-in Tide creates a user named from
 * the claims and links it; afterwards the link finds the user whatever the claims now say the name is.
 * A username already taken by a user not linked to this identity — a local password user, or another
 * provider account — is refused (409): matching by name would let whoever controls a provider account
 * called `admin` become Tide's `admin`.
 *
 * The role comes from the claims on every sign-in (TIDE_OIDC_ROLE_MAP), so group changes at the
 * provider apply at the next sign-in. Workspace patterns are Tide's: an admin sets them on the user
 * (PATCH /users/{name}) and sign-ins leave them alone. OIDC users get a placeholder password hash that
 * no password verifies (verifyPassword is false for anything not argon2), so they cannot log in with a
 * password until an admin gives them one.
 */
import { randomUUID } from 'node:crypto';
import { TideError } from '../../errors/tide-error.ts';
import { inTransaction } from '../../store/dialect.ts';
import type { Db } from '../../store/schema.ts';
import type { Clock } from '../../time/clock.ts';
import type { Role } from '../permissions.ts';
import { getUserById, getUserByName, insertUser, updateUser } from '../user.repo.ts';
import type { User } from '../user.ts';
import { oidcFailure } from './oidc-errors.ts';
import { claimValues, usernameFromClaims, type Claims } from './oidc-claims.ts';
import { getOidcIdentity, insertOidcIdentity, touchOidcIdentity } from './oidc-identity.repo.ts';
import type { OidcSettings } from './oidc-settings.ts';
import { roleForClaimValues } from './role-map.ts';

/** Not an argon2 hash: no password verifies against it. */
export const OIDC_PASSWORD_PLACEHOLDER = '!oidc-no-password';

export interface ResolvedUser {
  readonly user: User;
  /** First sign-in: the user was created just now. */
  readonly created: boolean;
  /** The role before this sign-in changed it, or null when it did not change. */
  readonly previousRole: Role | null;
}

/** Lost the race for a first sign-in to a concurrent one for the same identity: look again. */
class RaceLost extends Error {}

export class OidcUsers {
  readonly #deps: { readonly db: Db; readonly clock: Clock };
  readonly #settings: OidcSettings;

  constructor(deps: { readonly db: Db; readonly clock: Clock }, settings: OidcSettings) {
    this.#deps = deps;
    this.#settings = settings;
  }

  /** The user of `issuer` + `subject` with the role the claims earn; refuses with a typed error. */
  async resolve(issuer: string, subject: string, claims: Claims): Promise<ResolvedUser> {
    const { roleClaim, roleMap } = this.#settings;
    const role = roleForClaimValues(roleMap, claimValues(claims, roleClaim));
    if (!role)
      throw oidcFailure(
        'forbidden',
        'no_role',
        `this account has no access to Tide: none of its "${roleClaim}" values is in TIDE_OIDC_ROLE_MAP`,
        { claim: roleClaim },
      );
    // Twice at most: a concurrent first sign-in of the same person may create the user between our
    // lookup and our insert; the second lookup then finds the link it made.
    for (let attempt = 1; ; attempt++) {
      const linked = await getOidcIdentity(this.#deps.db, issuer, subject);
      if (linked) return this.#signInLinked(linked.userId, issuer, subject, role);
      try {
        return await this.#create(issuer, subject, claims, role);
      } catch (error) {
        if (!(error instanceof RaceLost)) throw error;
        if (attempt >= 2) throw this.#nameTaken(error.message);
      }
    }
  }

  async #signInLinked(userId: string, issuer: string, subject: string, role: Role): Promise<ResolvedUser> {
    const { db, clock } = this.#deps;
    const user = await getUserById(db, userId);
    if (!user) throw new TideError('internal', `the linked user ${userId} does not exist`);
    if (user.disabled)
      throw oidcFailure('forbidden', 'disabled', `the Tide user "${user.username}" is disabled`, {
        username: user.username,
      });
    const updated = user.role === role ? user : await updateUser(db, user.id, { role });
    await touchOidcIdentity(db, issuer, subject, clock.now());
    return { user: updated, created: false, previousRole: user.role === role ? null : user.role };
  }

  async #create(issuer: string, subject: string, claims: Claims, role: Role): Promise<ResolvedUser> {
    const { db, clock } = this.#deps;
    const username = usernameFromClaims(claims, this.#settings.usernameClaim);
    if (!username)
      throw oidcFailure(
        'forbidden',
        'no_username',
        `none of the claims ${this.#settings.usernameClaim}, email or sub is a usable Tide username`,
      );
    if (await getUserByName(db, username)) throw this.#nameTaken(username);
    const now = clock.now();
    try {
      const user = await inTransaction(db, async (trx) => {
        const created = await insertUser(trx, {
          id: randomUUID(),
          username,
          passwordHash: OIDC_PASSWORD_PLACEHOLDER,
          role,
          workspaces: null,
          now,
        });
        await insertOidcIdentity(trx, { issuer, subject, userId: created.id, now });
        return created;
      });
      return { user, created: true, previousRole: null };
    } catch (error) {
      if (error instanceof TideError && error.code === 'conflict') throw new RaceLost(username);
      throw error;
    }
  }

  #nameTaken(username: string): TideError {
    return oidcFailure(
      'conflict',
      'username_taken',
      `a Tide user "${username}" already exists and is not linked to this sign-in; an admin must resolve it (see docs/security.md)`,
      { username },
    );
  }
}
