/**
 * Request bodies of the auth, user and token routes (SPEC §6), declared once: the routes validate with
 * them and the OpenAPI document is generated from them. Strict: an unknown field is a 400.
 */
import { z } from 'zod';
import { parseDuration } from '../time/duration.ts';
import { roleSchema, usernameSchema } from './user.ts';
import { workspacePatternsSchema } from './workspace-scope.ts';

/**
 * Login takes any text up to these bounds, so a malformed username is just a failed login (same answer
 * as any other); the policy's 256-character maximum is for setting passwords, not for guessing them.
 */
const loginText = z.string().min(1).max(1024);
/** A new password: the policy (password-policy.ts) decides; this only bounds the work of hashing it. */
const newPassword = z.string().min(1).max(1024);

export const loginBody = z.strictObject({ username: loginText, password: loginText });
export const loginQuery = z.strictObject({
  /** `cookie`: a browser session in httpOnly cookies instead of tokens in the body. */
  session: z.enum(['cookie']).optional(),
});
/** The refresh token, or nothing when a browser session sends it as a cookie. */
export const refreshBody = z.strictObject({ refresh_token: z.string().min(1).max(200).optional() });
export const logoutBody = refreshBody;
export const changePasswordBody = z.strictObject({ current_password: loginText, new_password: newPassword });

export const userParams = z.strictObject({ username: usernameSchema });
export const createUserBody = z.strictObject({
  username: usernameSchema,
  password: newPassword,
  role: roleSchema,
  /** Name patterns (`team-a-*`); absent = every workspace. */
  workspaces: workspacePatternsSchema.optional(),
});
export const resetPasswordBody = z.strictObject({ password: newPassword });
export const updateUserBody = z.strictObject({
  role: roleSchema.optional(),
  /** null = every workspace. */
  workspaces: workspacePatternsSchema.nullable().optional(),
  disabled: z.boolean().optional(),
});

/** Seconds (as in `expires_in` of a login answer) or a duration such as `90d`; 1 minute to 10 years. */
const MAX_TOKEN_LIFETIME_MS = 10 * 365 * 86_400_000;
const expiresIn = z
  .union([
    z
      .number()
      .int()
      .positive()
      .transform((seconds) => seconds * 1000),
    z.string().transform((text, ctx) => {
      const parsed = parseDuration(text);
      if (parsed.ok) return parsed.ms;
      ctx.addIssue({ code: 'custom', message: `${parsed.error}` });
      return z.NEVER;
    }),
  ])
  .pipe(
    z
      .number()
      .min(60_000, { error: 'at least 1 minute' })
      .max(MAX_TOKEN_LIFETIME_MS, { error: 'at most 10 years' }),
  );

export const tokenNameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, {
  error: (issue) =>
    `invalid token name "${String(issue.input)}": lower-case letters, digits, ".", "_" and "-", at most 64`,
});

export const createTokenBody = z.strictObject({
  name: tokenNameSchema,
  role: roleSchema,
  workspaces: workspacePatternsSchema.optional(),
  expires_in: expiresIn.optional(),
});
export const tokenParams = z.strictObject({
  id: z.string().regex(/^[0-9a-f-]{36}$/, { error: (issue) => `invalid token id "${String(issue.input)}"` }),
});
