import { api, call } from '../../../api/client';

export const logout = () => call<void>(() => api.POST('/api/v1/auth/logout', { body: {} }));
