import { api, call } from '../../../api/client';
import type { Me } from '../../../api/types';

export const getMe = () => call<Me>(() => api.GET('/api/v1/me'));
