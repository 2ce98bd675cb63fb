/**
 * API tokens: yours (an admin's: everyone's), with revoke; creating one shows its secret once, with a
 * copy button. The secret lives only in this component's state: the server keeps its hash, so a reload
 * cannot show it again.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { ApiToken, CreatedToken, Role } from '../../api/types';
import type { Column } from '../../components/DataTable';
import { ErrorView } from '../../components/Feedback';
import { QueryTable } from '../../components/QueryTable';
import { Time } from '../../components/Time';
import { useMe } from '../auth/session';
import { createToken } from './api/create-token';
import { listTokens } from './api/list-tokens';
import { revokeToken } from './api/revoke-token';
import { ROLES } from './UsersPage';

function NewToken({ token }: { token: CreatedToken }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="card" role="status">
      <h2>Token {token.name} created</h2>
      <p>Copy it now: it is shown only this once.</p>
      <code data-testid="new-token" className="secret">
        {token.token}
      </code>
      <button
        type="button"
        onClick={() =>
          void navigator.clipboard.writeText(token.token).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? 'Copied' : 'Copy token'}
      </button>
    </div>
  );
}

export function TokensPage() {
  const id = useId();
  const me = useMe();
  const client = useQueryClient();
  const tokens = useQuery({ queryKey: ['tokens'], queryFn: listTokens });
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [expiresIn, setExpiresIn] = useState('');
  const refresh = () => client.invalidateQueries({ queryKey: ['tokens'] });
  const create = useMutation({
    mutationFn: () => createToken({ name, role, ...(expiresIn.trim() && { expires_in: expiresIn.trim() }) }),
    onSuccess: async () => {
      setName('');
      await refresh();
    },
  });
  const revoke = useMutation({ mutationFn: revokeToken, onSuccess: refresh });
  const mine = ROLES.slice(0, ROLES.indexOf(me.data?.role ?? 'viewer') + 1);
  const columns: Column<ApiToken>[] = [
    { header: 'Token', cell: (token) => token.name },
    { header: 'Owner', cell: (token) => token.owner },
    { header: 'Role', cell: (token) => token.role },
    { header: 'Created', cell: (token) => <Time iso={token.created_at} /> },
    { header: 'Expires', cell: (token) => <Time iso={token.expires_at} /> },
    {
      header: 'Revoke',
      cell: (token) =>
        token.revoked_at ? (
          <>
            revoked <Time iso={token.revoked_at} />
          </>
        ) : (
          <button
            type="button"
            className="danger"
            disabled={revoke.isPending}
            aria-label={`Revoke ${token.name}`}
            onClick={() => revoke.mutate(token.id)}
          >
            Revoke
          </button>
        ),
    },
  ];
  return (
    <section aria-labelledby="tokens-title">
      <div className="page-head">
        <h1 id="tokens-title">API tokens</h1>
      </div>
      {create.data && <NewToken token={create.data} />}
      <h2>Create a token</h2>
      <form
        className="inline"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <label htmlFor={`${id}-name`}>Name</label>
        <input
          id={`${id}-name`}
          required
          autoComplete="off"
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <label htmlFor={`${id}-role`}>Role</label>
        <select id={`${id}-role`} value={role} onChange={(event) => setRole(event.target.value as Role)}>
          {mine.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-expires`}>Expires in (optional)</label>
        <input
          id={`${id}-expires`}
          size={6}
          placeholder="90d"
          value={expiresIn}
          onChange={(event) => setExpiresIn(event.target.value)}
        />
        <button type="submit" className="primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
      {create.isError && <ErrorView error={create.error} />}
      {revoke.isError && <ErrorView error={revoke.error} />}
      <h2>Tokens</h2>
      <QueryTable query={tokens} what="tokens" columns={columns} rowKey="id" empty="No tokens." />
    </section>
  );
}
