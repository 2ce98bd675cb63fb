/** Users (admins): who may sign in, with which role and workspaces; an admin adds one with a role. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { Role, User } from '../../api/types';
import type { Column } from '../../components/DataTable';
import { ErrorView } from '../../components/Feedback';
import { QueryTable } from '../../components/QueryTable';
import { Time } from '../../components/Time';
import { createUser } from './api/create-user';
import { listUsers } from './api/list-users';

export const ROLES: Role[] = ['viewer', 'operator', 'admin'];

const COLUMNS: Column<User>[] = [
  { header: 'User', cell: (user) => user.username },
  { header: 'Role', cell: (user) => user.role },
  { header: 'Workspaces', cell: (user) => user.workspaces?.join(', ') ?? 'all' },
  { header: 'State', cell: (user) => (user.disabled ? 'disabled' : user.locked_until ? 'locked' : 'active') },
  { header: 'Created', cell: (user) => <Time iso={user.created_at} /> },
];

export function UsersPage() {
  const id = useId();
  const client = useQueryClient();
  const users = useQuery({ queryKey: ['users'], queryFn: listUsers });
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const create = useMutation({
    mutationFn: () => createUser({ username, password, role }),
    onSuccess: async () => {
      setUsername('');
      setPassword('');
      await client.invalidateQueries({ queryKey: ['users'] });
    },
  });
  return (
    <section aria-labelledby="users-title">
      <div className="page-head">
        <h1 id="users-title">Users</h1>
      </div>
      <QueryTable query={users} what="users" columns={COLUMNS} rowKey="username" />
      <h2>Add a user</h2>
      <form
        className="inline"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <label htmlFor={`${id}-username`}>Username</label>
        <input
          id={`${id}-username`}
          required
          autoComplete="off"
          value={username}
          onChange={(event) => setUsername(event.target.value)}
        />
        <label htmlFor={`${id}-password`}>Password</label>
        <input
          id={`${id}-password`}
          type="password"
          required
          autoComplete="new-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <label htmlFor={`${id}-role`}>Role</label>
        <select id={`${id}-role`} value={role} onChange={(event) => setRole(event.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" className="primary" disabled={create.isPending}>
          Add user
        </button>
      </form>
      {create.isError && <ErrorView error={create.error} />}
      {create.isSuccess && (
        <p role="status">
          {create.data.username} added as {create.data.role}.
        </p>
      )}
    </section>
  );
}
