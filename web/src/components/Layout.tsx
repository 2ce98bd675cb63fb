import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, Outlet, useNavigate } from '@tanstack/react-router';
import type { Me } from '../api/types';
import { logout } from '../features/auth/api/logout';
import type { StreamState } from '../lib/events';
import { canAdminister, canOperate } from '../lib/permissions';

/**
 * The frame of every page after login: skip link, navigation (the pages a role may use), who is logged in,
 * the stream's state.
 */
export function Layout({ me, stream }: { me: Me; stream: StreamState }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const signOut = useMutation({
    mutationFn: logout,
    onSettled: async () => {
      client.setQueryData(['me'], null);
      await navigate({ to: '/' });
    },
  });
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <nav aria-label="Main">
          <Link to="/" className="brand">
            <img src="/favicon.svg" alt="" width="20" height="20" /> Tide
          </Link>
          <Link to="/" activeOptions={{ exact: true }}>
            Fleet
          </Link>
          <Link to="/timeline">Timeline</Link>
          <Link to="/runs">Runs</Link>
          <Link to="/jobs">Jobs</Link>
          <Link to="/environments">Environments</Link>
          <Link to="/templates">Templates</Link>
          {canOperate(me.role) && <Link to="/notifications">Notifications</Link>}
          <Link to="/tokens">Tokens</Link>
          {canAdminister(me.role) && <Link to="/users">Users</Link>}
          {canAdminister(me.role) && <Link to="/audit">Audit</Link>}
        </nav>
        <div className="who">
          <span className={`stream stream-${stream}`} role="status" title="Live updates over /api/v1/events">
            {stream === 'live' ? 'Live' : stream === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
          </span>
          <span>
            {me.username} <span className="muted">({me.role})</span>
          </span>
          <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
