import { api, call } from '../../../api/client';
import type { Run } from '../../../api/types';

export const getRun = (id: string) =>
  call<Run>(() => api.GET('/api/v1/runs/{id}', { params: { path: { id } } }));
