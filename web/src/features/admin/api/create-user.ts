import { api, call } from '../../../api/client';
import type { Role, User } from '../../../api/types';

export const createUser = (body: { username: string; password: string; role: Role }) =>
  call<User>(() => api.POST('/api/v1/users', { body }));
