import { api, call } from '../../../api/client';
import type { Job, Page } from '../../../api/types';

export const listJobs = () => call<Page<Job>>(() => api.GET('/api/v1/jobs'));
