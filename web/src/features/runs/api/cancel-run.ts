import { api, call } from '../../../api/client';
import type { Run } from '../../../api/types';

export const cancelRun = (id: string) =>
  call<Run>(() => api.POST('/api/v1/runs/{id}/cancel', { params: { path: { id } }, body: {} }));
