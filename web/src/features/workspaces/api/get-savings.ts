import { api, call } from '../../../api/client';
import type { Savings } from '../../../api/types';

/** This month so far (the server's default period). */
export const getSavings = (workspace: string) =>
  call<Savings>(() => api.GET('/api/v1/savings', { params: { query: { workspace } } }));
