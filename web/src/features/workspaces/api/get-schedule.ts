import { api, call } from '../../../api/client';
import type { Schedule } from '../../../api/types';

export const getSchedule = (name: string, from: string, days: number) =>
  call<Schedule>(() =>
    api.GET('/api/v1/workspaces/{name}/schedule', { params: { path: { name }, query: { from, days } } }),
  );
