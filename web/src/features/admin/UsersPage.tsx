/** Users (admins): who may sign in, with which role and workspaces; an admin adds one with a role. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { Role } from '../../api/types';
import { ErrorView, Loading } from '../../components/Feedback';
import { Time } from '../../components/Time';
import { createUser } from './api/create-user';
import { listUsers } from './api/list-users';

export const ROLES: Role[] = ['viewer', 'operator', 'admin'];

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
      {users.isPending && <Loading what="users" />}
      {users.isError && <ErrorView error={users.error} what="the users" />}
      {users.data && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Workspaces</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {users.data.items.map((user) => (
                <tr key={user.username}>
                  <td>{user.username}</td>
                  <td>{user.role}</td>
                  <td>{user.workspaces?.join(', ') ?? 'all'}</td>
                  <td>{user.disabled ? 'disabled' : user.locked_until ? 'locked' : 'active'}</td>
                  <td>
                    <Time iso={user.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
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
