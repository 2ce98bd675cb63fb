import { api, call } from '../../../api/client';
import type { EnvironmentDetail } from '../../../api/types';

export const getEnvironment = (name: string) =>
  call<EnvironmentDetail>(() =>
    api.GET('/api/v1/environments/{name}', { params: { path: { name }, query: { switches: 5 } } }),
  );
