import { api, call } from '../../../api/client';
import type { Page, User } from '../../../api/types';

export const listUsers = () => call<Page<User>>(() => api.GET('/api/v1/users'));
