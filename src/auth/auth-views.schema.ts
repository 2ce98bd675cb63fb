/**
 * The documented shapes of a user and of an API token as the API shows them (`UserView` in user.ts with
 * its lockout, `ApiTokenView` in api-token.service.ts): the OpenAPI response schemas of the user and
 * token routes and the source of the dashboard's generated `User`, `ApiToken` and `CreatedToken` types.
 */
import { z } from 'zod';
import type { SameShape } from '../types/same-shape.d.ts';
import type { ApiTokenView } from './api-token.service.ts';
import { roles } from './permissions.ts';
import type { UserView } from './user.ts';

export const userViewSchema = z
  .object({
    username: z.string(),
    role: z.enum(roles),
    workspaces: z.array(z.string()).nullable(),
    disabled: z.boolean(),
    created_at: z.string(),
    password_changed_at: z.string(),
    /** Until when a login lockout refuses the account; null when it is not locked out. */
    locked_until: z.string().nullable(),
  })
  .meta({ id: 'User' });

const apiTokenFields = {
  id: z.string(),
  name: z.string(),
  owner: z.string(),
  role: z.enum(roles),
  workspaces: z.array(z.string()).nullable(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
};

export const apiTokenViewSchema = z.object(apiTokenFields).meta({ id: 'ApiToken' });

/** The answer to a token's creation: the only time its secret is shown. */
export const createdTokenSchema = z
  .object({ ...apiTokenFields, token: z.string() })
  .meta({ id: 'CreatedToken' });

const _userViewMatches: SameShape<
  UserView & { readonly locked_until: string | null },
  z.output<typeof userViewSchema>
> = true;
const _apiTokenViewMatches: SameShape<ApiTokenView, z.output<typeof apiTokenViewSchema>> = true;
const _createdTokenMatches: SameShape<
  ApiTokenView & { token: string },
  z.output<typeof createdTokenSchema>
> = true;
