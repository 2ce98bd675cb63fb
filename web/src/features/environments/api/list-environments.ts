import { api, call } from '../../../api/client';
import type { Environment, Page } from '../../../api/types';

export const listEnvironments = () => call<Page<Environment>>(() => api.GET('/api/v1/environments'));
