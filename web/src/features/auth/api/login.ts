import { api, call } from '../../../api/client';

/** A browser session: the tokens go into httpOnly cookies, never into the page. */
export const login = (username: string, password: string) =>
  call<{ csrf_token: string }>(
    () =>
      api.POST('/api/v1/auth/login', {
        params: { query: { session: 'cookie' } },
        body: { username, password },
      }),
    false,
  );
