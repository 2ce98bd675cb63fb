/**
 * The credential a run's engine presents to the state backend (HTTP Basic: the run id and a password).
 * The password is an HMAC of the run's claim — its id, lease owner and fencing token — under a key derived
 * from the JWT secret every replica shares, so any replica can check it and nothing is stored. It is only
 * as alive as the claim: once the run finishes, is reaped as orphaned or is claimed again (a new fencing
 * token), the run row no longer matches and the credential stops working (docs/algorithms.md, fencing).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A run's claim: which runner holds it, under which fencing token. */
export interface ClaimOf {
  readonly id: string;
  readonly lease_owner: string | null;
  readonly fencing_token: number;
}

export interface StateCredential {
  readonly username: string;
  readonly password: string;
}

export class StateCredentials {
  readonly #key: Buffer;

  /** `secret`: the JWT secret (TIDE_JWT_SECRET); a separate key is derived from it. */
  constructor(secret: Uint8Array) {
    this.#key = createHmac('sha256', secret).update('tide/state-credential/v1').digest();
  }

  issue(claim: ClaimOf): StateCredential {
    return { username: claim.id, password: this.#passwordOf(claim) };
  }

  /** Whether `password` is the credential of this claim of the run. */
  matches(claim: ClaimOf, password: string): boolean {
    const expected = Buffer.from(this.#passwordOf(claim));
    const given = Buffer.from(password);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  #passwordOf(claim: ClaimOf): string {
    return createHmac('sha256', this.#key)
      .update(`${claim.id}\0${claim.lease_owner ?? ''}\0${claim.fencing_token}`)
      .digest('base64url');
  }
}
