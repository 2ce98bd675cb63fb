import { api, call } from '../../../api/client';
import type { Run } from '../../../api/types';

export const runJob = (id: string) =>
  call<Run>(() => api.POST('/api/v1/jobs/{id}/run', { params: { path: { id } }, body: {} }));
