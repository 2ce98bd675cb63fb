import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorView } from '../../components/Feedback';
import { login } from './api/login';
import { useUiConfig } from './session';

/** Local login, and single sign-on when the server has OIDC configured (ui-config says so). */
export function LoginPage() {
  const client = useQueryClient();
  const config = useUiConfig();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation({
    mutationFn: () => login(username, password),
    onSuccess: () => client.resetQueries(),
  });
  const returnTo = `${location.pathname}${location.search}`;
  return (
    <main id="main" className="login">
      <h1>
        <img src="/favicon.svg" alt="" width="28" height="28" /> Tide
      </h1>
      <form
        className="card"
        onSubmit={(event) => {
          event.preventDefault();
          signIn.mutate();
        }}
      >
        <h2>Sign in</h2>
        <label htmlFor="username">Username</label>
        <input
          id="username"
          autoComplete="username"
          required
          value={username}
          onChange={(event) => setUsername(event.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        {signIn.isError && <ErrorView error={signIn.error} />}
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
        {config.data?.oidc_enabled && (
          <a className="button" href={`/api/v1/auth/oidc/login?return_to=${encodeURIComponent(returnTo)}`}>
            Sign in with SSO
          </a>
        )}
      </form>
      {config.data && <p className="muted">Tide {config.data.version}</p>}
    </main>
  );
}
